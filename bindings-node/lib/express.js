exports.RedkitStore = require('./session-store.js').RedkitStore
