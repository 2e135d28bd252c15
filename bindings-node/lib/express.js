'use strict'
/**
 * `redkit/express`: Express (and Connect-style) integrations — the rate-limit middleware and
 * the express-session Store. Neither loads the native addon nor requires express itself.
 */
module.exports.rateLimit = require('./rate-limit.js').rateLimit
module.exports.RedkitStore = require('./session-store.js').RedkitStore
