/**
 * redkit's error classes, the Node package's own (bindings-node/lib/errors.js, as an ES module
 * under pkg/lib): every error the package throws or rejects with is one of them (besides
 * `TypeError` for an argument of the wrong type).
 */
export {
  RedkitError, ResponseError, ConnectionError, TimeoutError, LockNotOwnedError, InvalidArgumentError,
  SerializationError, ProtocolError, StorageError, NotFoundError
} from '../pkg/lib/errors.mjs'
