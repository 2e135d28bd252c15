/** `redkit/express` as an ES module: the same exports as ./express.js. */
import { createRequire } from 'node:module'
export const { rateLimit } = createRequire(import.meta.url)('./express.js')
