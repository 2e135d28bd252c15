/** The base of every error redkit throws or rejects with (besides `TypeError` for wrong types). */
export declare class RedkitError extends Error {
  constructor(message: string, kind?: string)
  /** The core error kind: `reply`, `connection`, `timeout`, `lock_not_owned`, … */
  readonly kind: string
  /** `ERR_REDKIT_<KIND>`, e.g. `ERR_REDKIT_REPLY`. */
  readonly code: string
}
/** Redis (or the simulator) answered with an error reply; the message is its text. */
export declare class ResponseError extends RedkitError { constructor(message: string) }
/** The connection failed or was refused. */
export declare class ConnectionError extends RedkitError { constructor(message: string) }
/** A bounded wait ran out. */
export declare class TimeoutError extends RedkitError { constructor(message: string) }
/** A lock operation by a client that does not own the lock. */
export declare class LockNotOwnedError extends RedkitError { constructor(message: string) }
/** An argument had the right type but an invalid value. */
export declare class InvalidArgumentError extends RedkitError { constructor(message: string) }
/** A value could not be serialised or deserialised. */
export declare class SerializationError extends RedkitError { constructor(message: string) }
/** The protocol stream was malformed. */
export declare class ProtocolError extends RedkitError { constructor(message: string) }
/** File I/O failed (snapshots). */
export declare class StorageError extends RedkitError { constructor(message: string) }
/** The thing asked for does not exist (a job id, a session). */
export declare class NotFoundError extends RedkitError { constructor(message: string) }
