//! A command as the backends send it: a name and its arguments as bytes, built from Rust
//! values with [`Cmd::arg`] or the [`command!`](crate::command) macro.

use std::time::Duration;

/// A command and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cmd {
    args: Vec<Vec<u8>>,
}

impl Cmd {
    /// A command named `name` with no arguments yet.
    pub fn new(name: &str) -> Cmd {
        Cmd { args: vec![name.as_bytes().to_vec()] }
    }

    /// A command from a full argv (name first).
    pub fn from_argv(args: Vec<Vec<u8>>) -> Cmd {
        Cmd { args }
    }

    /// Appends one argument (or several, for slices of arguments).
    #[must_use]
    pub fn arg(mut self, a: impl ToArg) -> Cmd {
        a.push_to(&mut self.args);
        self
    }

    /// Appends one argument in place.
    pub fn push(&mut self, a: impl ToArg) {
        a.push_to(&mut self.args);
    }

    /// The argv, name first.
    pub fn args(&self) -> &[Vec<u8>] {
        &self.args
    }

    /// Takes the argv.
    pub fn into_args(self) -> Vec<Vec<u8>> {
        self.args
    }

    /// The command name, upper-cased.
    pub fn name(&self) -> String {
        self.args.first().map(|n| String::from_utf8_lossy(n).to_ascii_uppercase()).unwrap_or_default()
    }

    /// For a blocking command, the timeout it was given (`Some(ZERO)` = forever); `None` for a
    /// command that does not block.
    pub fn blocking_timeout(&self) -> Option<Duration> {
        let seconds = |a: &Vec<u8>| {
            std::str::from_utf8(a)
                .ok()?
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
        };
        // On the path of every raw command: compare the name in place, no upper-cased copy.
        let name = self.args.first()?;
        if !matches!(name.first(), Some(b'b' | b'B' | b'x' | b'X')) {
            return None;
        }
        let is = |names: &[&str]| names.iter().any(|n| name.eq_ignore_ascii_case(n.as_bytes()));
        if is(&["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX", "BRPOPLPUSH", "BLMOVE"]) {
            seconds(self.args.last()?)
        } else if is(&["BLMPOP", "BZMPOP"]) {
            seconds(self.args.get(1)?)
        } else if is(&["XREAD", "XREADGROUP"]) {
            let i = self.args.iter().position(|a| a.eq_ignore_ascii_case(b"BLOCK"))?;
            let ms = std::str::from_utf8(self.args.get(i + 1)?).ok()?.parse::<u64>().ok()?;
            Some(Duration::from_millis(ms))
        } else {
            None
        }
    }
}

/// Something that becomes one or more command arguments.
pub trait ToArg {
    /// Appends the argument(s) to `out`.
    fn push_to(self, out: &mut Vec<Vec<u8>>);
}

macro_rules! to_arg_display {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn push_to(self, out: &mut Vec<Vec<u8>>) {
                out.push(self.to_string().into_bytes());
            }
        }
    )*};
}
to_arg_display!(i32, i64, u32, u64, usize, isize, u16, i16);

impl ToArg for f64 {
    /// Floats go out as the shortest text that reads back to the same number (`1`, `0.5`,
    /// `inf`), which Redis parses exactly.
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        let text = if self.is_infinite() {
            if self > 0.0 {
                "inf".to_string()
            } else {
                "-inf".to_string()
            }
        } else {
            format!("{self}")
        };
        out.push(text.into_bytes());
    }
}

impl ToArg for &str {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.as_bytes().to_vec());
    }
}

impl ToArg for &String {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.as_bytes().to_vec());
    }
}

impl ToArg for String {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.into_bytes());
    }
}

impl ToArg for &[u8] {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.to_vec());
    }
}

impl<const N: usize> ToArg for &[u8; N] {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.to_vec());
    }
}

impl ToArg for Vec<u8> {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self);
    }
}

impl ToArg for &Vec<u8> {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        out.push(self.clone());
    }
}

impl<T: ToArg + Clone> ToArg for &[T] {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        for a in self {
            a.clone().push_to(out);
        }
    }
}

impl<T: ToArg> ToArg for Vec<T> {
    fn push_to(self, out: &mut Vec<Vec<u8>>) {
        for a in self {
            a.push_to(out);
        }
    }
}

/// Builds a [`Cmd`]: `command!("SET", key, value, "PX", 500)`.
#[macro_export]
macro_rules! command {
    ($name:expr $(, $arg:expr)* $(,)?) => {
        $crate::backend::Cmd::new($name)$(.arg($arg))*
    };
}
