//! Key names. Every key a pattern instance touches is `PREFIX:KIND:{NAME}` or
//! `PREFIX:KIND:{NAME}:PART`: the braces make `NAME` the hash tag, so all keys of one lock,
//! limiter or queue live in one Redis Cluster slot and one script can touch them all.

/// The prefix patterns use unless told otherwise.
pub const DEFAULT_PREFIX: &str = "redkit";

/// `PREFIX:KIND:{NAME}`.
///
/// ```
/// use redkit::patterns::keys;
/// assert_eq!(keys::base("redkit", "lock", "job"), b"redkit:lock:{job}");
/// assert_eq!(keys::part("redkit", "lock", "job", "fence"), b"redkit:lock:{job}:fence");
/// ```
pub fn base(prefix: &str, kind: &str, name: &str) -> Vec<u8> {
    format!("{prefix}:{kind}:{{{name}}}").into_bytes()
}

/// `PREFIX:KIND:{NAME}:PART`.
pub fn part(prefix: &str, kind: &str, name: &str, part: &str) -> Vec<u8> {
    format!("{prefix}:{kind}:{{{name}}}:{part}").into_bytes()
}

/// Checks a user-given name or prefix: non-empty, and free of `{` `}` (which would move the
/// hash tag). Returns an [`crate::ErrorKind::InvalidArgument`] error naming `what` otherwise.
pub fn validate(what: &str, value: &str) -> crate::Result<()> {
    if value.is_empty() || value.contains(['{', '}']) {
        return Err(crate::Error::new(
            crate::ErrorKind::InvalidArgument,
            format!("{what} must be non-empty and contain no '{{' or '}}': {value:?}"),
        ));
    }
    Ok(())
}
