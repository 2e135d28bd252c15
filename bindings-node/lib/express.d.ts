export { RedkitStore, RedkitStoreOptions, StoredSession } from './session-store'
