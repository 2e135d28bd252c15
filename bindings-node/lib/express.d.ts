/** `redkit/express`: Express (and Connect-style) integrations. */
export * from './rate-limit'
export { RedkitStore, RedkitStoreOptions, StoredSession } from './session-store'
