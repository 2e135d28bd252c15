'use strict'
/** `redkit/express`: Express (and Connect-style) integrations. */
module.exports.rateLimit = require('./rate-limit.js').rateLimit
