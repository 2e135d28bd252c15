/** `redkit/express` as an ES module: the same exports as ./express.js. */
import { createRequire } from 'node:module'
export const { rateLimit, RedkitStore } = createRequire(import.meta.url)('./express.js')
