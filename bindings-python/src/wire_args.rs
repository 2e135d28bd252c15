//! Command arguments as redis-py packs them, without the RESP round trip: `redkit.testing`'s
//! fake connections hand the argument tuple of each command to the simulator directly instead of
//! packing it into bytes for the `WireConnection` to parse again.
//!
//! The result is the argv redis-server would have parsed from redis-py's own packing
//! (`PythonRespSerializer.pack`): a `str` command name is UTF-8 encoded and split on whitespace
//! ("CONFIG GET" is two arguments), a `bytes` one is split when it holds a space; then `bytes` as
//! they are, `str` in the connection's encoding (UTF-8 here), `int` and `float` as their `repr`.
//! Only those exact types are packed here: for anything else (a bool, a bytearray, an `int`
//! subclass, a str that does not encode) `pack` answers None and the caller packs with redis-py,
//! which gives the very same bytes or raises its own `DataError`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyList, PyString, PyTuple};

/// One command line: the name's words, then the arguments.
pub type Argv = Vec<Vec<u8>>;

/// What redis-py's encoder makes of one argument; None when redis-py should decide.
fn arg(a: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(b) = a.cast_exact::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    if let Ok(s) = a.cast_exact::<PyString>() {
        return Ok(s.to_cow().ok().map(|t| t.as_bytes().to_vec()));
    }
    if a.is_exact_instance_of::<PyInt>() {
        return Ok(Some(match a.extract::<i64>() {
            Ok(i) => i.to_string().into_bytes(),
            Err(_) => a.repr()?.to_cow()?.as_bytes().to_vec(),
        }));
    }
    if a.is_exact_instance_of::<PyFloat>() {
        return Ok(Some(a.repr()?.to_cow()?.as_bytes().to_vec()));
    }
    Ok(None)
}

/// Python's `bytes.split()`: runs of ASCII whitespace separate the words.
fn split_words(name: &[u8], argv: &mut Argv) {
    argv.extend(
        name.split(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
            .filter(|w| !w.is_empty())
            .map(<[u8]>::to_vec),
    );
}

/// The argv of `redis_py_connection.send_command(*args)`, or None where redis-py must pack.
pub fn pack(args: &Bound<'_, PyTuple>) -> PyResult<Option<Argv>> {
    let mut argv = Vec::with_capacity(args.len() + 1);
    let mut items = args.iter();
    let Some(first) = items.next() else { return Ok(None) };
    if let Ok(s) = first.cast_exact::<PyString>() {
        let Ok(name) = s.to_cow() else { return Ok(None) };
        split_words(name.as_bytes(), &mut argv);
    } else if let Ok(b) = first.cast_exact::<PyBytes>() {
        let name = b.as_bytes();
        if name.contains(&b' ') {
            split_words(name, &mut argv);
        } else {
            argv.push(name.to_vec());
        }
    } else {
        return Ok(None);
    }
    if argv.is_empty() {
        return Ok(None); // a name of spaces only: redis-py sends an empty request
    }
    for a in items {
        match arg(&a)? {
            Some(bytes) => argv.push(bytes),
            None => return Ok(None),
        }
    }
    Ok(Some(argv))
}

/// The RESP request redis-py would have written for `argv` (what a socket would carry).
pub fn to_resp(argv: &[Vec<u8>], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Several commands packed for one write (a pipeline, a MULTI/EXEC block): what
/// `FakeConnection.pack_commands` returns and `send_packed_command` hands to the wire. Iterating
/// it gives the RESP bytes redis-py's packer would have made, for code that sends them itself.
#[pyclass(module = "redkit._native", frozen)]
pub struct PackedCommands {
    pub commands: Vec<Argv>,
}

impl PackedCommands {
    /// The commands of `commands` (an iterable of argument tuples), or None if one of them
    /// needs redis-py's packer.
    pub fn pack_all(commands: &Bound<'_, PyAny>) -> PyResult<Option<PackedCommands>> {
        let mut packed = Vec::new();
        for cmd in commands.try_iter()? {
            let cmd = cmd?;
            let Ok(args) = cmd.cast::<PyTuple>() else { return Ok(None) };
            match pack(args)? {
                Some(argv) => packed.push(argv),
                None => return Ok(None),
            }
        }
        Ok(Some(PackedCommands { commands: packed }))
    }
}

#[pymethods]
impl PackedCommands {
    /// The commands as RESP bytes, in one chunk.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut out = Vec::new();
        self.commands.iter().for_each(|argv| to_resp(argv, &mut out));
        Ok(PyList::new(py, [PyBytes::new(py, &out)])?.try_iter()?.into_any())
    }

    /// How many commands.
    fn __len__(&self) -> usize {
        self.commands.len()
    }

    fn __repr__(&self) -> String {
        format!("PackedCommands({} commands)", self.commands.len())
    }
}
