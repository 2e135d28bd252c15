export { RedkitStore } from './session-store.js'
