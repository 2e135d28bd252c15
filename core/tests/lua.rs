//! Lua conformance: every case runs on a real redis-server and on the simulator, and every
//! reply must be byte-for-byte the same, in RESP2 and in RESP3: conversions both ways
//! (`redis.setresp`), the error texts of compile errors, runtime errors and refused commands,
//! `pcall`, `error_reply`/`status_reply`, the sandbox, cjson/cmsgpack/bit/struct round trips,
//! and the SCRIPT and FUNCTION commands. Set `LUA_CASE=<part of a name>` to run some.

#[path = "support/compare.rs"]
mod compare;
mod support;

use compare::show;
use redkit::resp::Protocol;

/// One case: a name and its commands, run in order on both sides.
type Case = (&'static str, &'static [&'static [&'static str]]);

const CONVERSIONS: &[Case] = &[
    ("integers and strings", &[&["EVAL", "return {1, -2, 3.99, -3.99, 'x', ''}", "0"]]),
    ("booleans", &[&["EVAL", "return {true, false, 1}", "0"], &["EVAL", "return true", "0"], &["EVAL", "return false", "0"]]),
    ("nil truncates arrays", &[&["EVAL", "return {1, 2, nil, 4}", "0"], &["EVAL", "return nil", "0"], &["EVAL", "return", "0"]]),
    ("nested", &[&["EVAL", "return {1, {2, {3, 'x'}}, {}}", "0"]]),
    ("status and error tables", &[
        &["EVAL", "return {ok='fine'}", "0"],
        &["EVAL", "return {err='bad'}", "0"],
        &["EVAL", "return {err='MY code'}", "0"],
        &["EVAL", "return {1, {err='inner'}, {ok='x'}}", "0"],
        &["EVAL", "return {ok='a\\r\\nb'}", "0"],
    ]),
    ("status_reply and error_reply", &[
        &["EVAL", "return redis.status_reply('fine')", "0"],
        &["EVAL", "return redis.error_reply('x y')", "0"],
        &["EVAL", "return redis.error_reply('-x y')", "0"],
        &["EVAL", "return redis.error_reply('xy')", "0"],
        &["EVAL", "return redis.error_reply('-xy')", "0"],
        &["EVAL", "return redis.error_reply(5)", "0"],
        &["EVAL", "return redis.status_reply()", "0"],
    ]),
    ("replies into lua", &[
        &["SET", "s", "v"],
        &["RPUSH", "l", "a", "b"],
        &["HSET", "h", "f", "1"],
        &["EVAL", "return {redis.call('GET', 's'), redis.call('GET', 'nope'), redis.call('INCR', 'n'), redis.call('SET', 'x', 'y')}", "0"],
        &["EVAL", "local r = redis.call('SET', 'x', 'y') return {type(r), r.ok}", "0"],
        &["EVAL", "local v = redis.call('GET', 'nope') return {type(v), tostring(v)}", "0"],
        &["EVAL", "return redis.call('LRANGE', 'l', 0, -1)", "0"],
        &["EVAL", "return redis.call('HGETALL', 'h')", "0"],
        &["EVAL", "return redis.call('PING')", "0"],
        &["EVAL", "return type(redis.call('PING'))", "0"],
        &["EVAL", "return redis.call('MGET', 's', 'nope', 's')", "0"],
        &["EVAL", "local r = redis.call('MGET', 's', 'nope', 's') return #r", "0"],
    ]),
    ("resp3 into lua", &[
        &["HSET", "h", "f", "1"],
        &["SADD", "set", "m"],
        &["ZADD", "z", "1.5", "a"],
        &["EVAL", "redis.setresp(3) local r = redis.call('HGETALL', 'h') return {type(r), type(r.map), r.map.f}", "0"],
        &["EVAL", "redis.setresp(3) local r = redis.call('SMEMBERS', 'set') return {type(r.set), tostring(r.set.m)}", "0"],
        &["EVAL", "redis.setresp(3) local r = redis.call('ZSCORE', 'z', 'a') return {type(r), tostring(r.double)}", "0"],
        &["EVAL", "redis.setresp(3) local r = redis.call('GET', 'nope') return type(r)", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('HGETALL', 'h')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('SMEMBERS', 'set')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('ZSCORE', 'z', 'a')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('GET', 'nope')", "0"],
        &["EVAL", "redis.setresp(3) return {true, false}", "0"],
        &["EVAL", "redis.setresp(2) return redis.call('ZSCORE', 'z', 'a')", "0"],
        &["EVAL", "return redis.setresp(4)", "0"],
        &["EVAL", "return redis.setresp()", "0"],
    ]),
    ("resp3 tables out of lua", &[
        &["EVAL", "return {double=3.5}", "0"],
        &["EVAL", "return {big_number='123456789012345678901234567890'}", "0"],
        &["EVAL", "return {map={a=1}}", "0"],
        &["EVAL", "return {set={a=true}}", "0"],
        &["EVAL", "return {verbatim_string={format='txt', string='hello'}}", "0"],
    ]),
    ("keys and argv", &[
        &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "k1", "k2", "a1", "a2"],
        &["EVAL", "return #KEYS", "0"],
    ]),
];

const ERRORS: &[Case] = &[
    (
        "numkeys",
        &[
            &["EVAL", "return 1", "2", "a"],
            &["EVAL", "return 1", "-1"],
            &["EVAL", "return 1", "x"],
            &["EVAL", "return 1"],
        ],
    ),
    ("compile errors", &[&["EVAL", "retur 1", "0"], &["EVAL", "return (", "0"], &["SCRIPT", "LOAD", "x x"]]),
    (
        "runtime errors",
        &[
            &["EVAL", "error('boom')", "0"],
            &["EVAL", "\n\nerror('line three')", "0"],
            &["EVAL", "error(42)", "0"],
            &["EVAL", "error()", "0"],
            &["EVAL", "error({err='MY boom'})", "0"],
            &["EVAL", "local t = nil; return t.x", "0"],
            &["EVAL", "return 1 + {}", "0"],
            &["EVAL", "local function f() error('deep') end\nf()", "0"],
            &["EVAL", "return error('tail')", "0"],
            &["EVAL", "local function f(n) return 1 + f(n + 1) end return f(1)", "0"],
            &["EVAL", "local co = coroutine.create(function(k) coroutine.yield(redis.call('INCR', k)) return 'done' end) local _, a = coroutine.resume(co, 'c') local _, b = coroutine.resume(co) return {a, b}", "0"],
            &["EVAL", "local co = coroutine.wrap(function() error('in co') end) co()", "0"],
            &["EVAL", "return {err='both', ok='x'}", "0"],
            &["EVAL", "return {1, 'a', {err='x'}, false, true}", "0"],
            &["EVAL", "return string.format('%d %s %5.2f', 3, 'x', 1.5)", "0"],
            &["EVAL", "return {tostring(1e100), tostring(2^53), tostring(-0.0), 7 % 3, math.floor(-3.5), math.huge}", "0"],
            &["EVAL", "return unpack({1, 2, 3})", "0"],
            &["EVAL", "return select('#', 1, nil, 3)", "0"],
            &["EVAL", "return table.concat({'a', 'b'}, ',')", "0"],
            &["EVAL", "return loadstring('return 5')()", "0"],
            &["EVAL", "return tonumber('0x10')", "0"],
        ],
    ),
    (
        "redis.call errors",
        &[
            &["SET", "s", "x"],
            &["EVAL", "return redis.call('nope')", "0"],
            &["EVAL", "return redis.call()", "0"],
            &["EVAL", "return redis.call('get', 'a', 'b')", "0"],
            &["EVAL", "return redis.call('incr', 's')", "0"],
            &["EVAL", "redis.call('incr', 's')", "0"],
            &["EVAL", "\nlocal x = 1\nreturn redis.call('incr', 's')", "0"],
            &["EVAL", "return redis.call('get', {})", "0"],
            &["EVAL", "return redis.call('get', 1.5)", "0"],
        &["EVAL", "redis.call('set', 'n', 4376056278548482) return redis.call('get', 'n')", "0"],
        &["EVAL", "redis.call('set', 'n', 0.1) return redis.call('get', 'n')", "0"],
        &["EVAL", "redis.call('set', 'n', 1/0) redis.call('rpush', 'nl', -1/0, 0/0, -0.0, 1e300, 3) return redis.call('lrange', 'nl', 0, -1)", "0"],
            &["EVAL", "return redis.call('set', 'a', nil)", "0"],
            &["EVAL", "return redis.call('client', 'nosuch')", "0"],
            &["EVAL", "return redis.call('client')", "0"],
        ],
    ),
    (
        "pcall",
        &[
            &["SET", "s", "x"],
            &["EVAL", "return redis.pcall('incr', 's')", "0"],
            &["EVAL", "return redis.pcall('nope')", "0"],
            &["EVAL", "local r = redis.pcall('incr', 's') return {type(r), r.err}", "0"],
            &["EVAL", "local ok, e = pcall(redis.call, 'nope') return {tostring(ok), e}", "0"],
            &["EVAL", "local ok, e = pcall(redis.call, 'incr', 's') return {tostring(ok), e}", "0"],
            &["EVAL", "local ok, e = pcall(function() error({err='X y'}) end) return {tostring(ok), type(e), e}", "0"],
            &["EVAL", "local ok, e = pcall(error, 'x') return {tostring(ok), e}", "0"],
            &["EVAL", "local ok, e = pcall(function() local x = nil; return x.y end) return {tostring(ok), e}", "0"],
            &["EVAL", "return {pcall(function() return 1, 2 end)}", "0"],
        ],
    ),
    (
        "sandbox",
        &[
            &["EVAL", "return x", "0"],
            &["EVAL", "x = 1", "0"],
            &["EVAL", "redis.x = 1", "0"],
            &["EVAL", "string.foo = 1", "0"],
            &["EVAL", "function f() end", "0"],
            &["EVAL", "os.exit()", "0"],
            &["EVAL", "return io", "0"],
            &["EVAL", "return loadfile", "0"],
            &["EVAL", "return dofile", "0"],
            &["EVAL", "return print", "0"],
            &["EVAL", "return {type(loadstring), type(load), type(coroutine), type(unpack), type(gcinfo)}", "0"],
            &["EVAL", "return _VERSION", "0"],
            &["EVAL", "local t = {} t.x = 1 return t.x", "0"],
            &["EVAL", "KEYS = {}", "0"],
            &["EVAL", "redis = nil", "0"],
            &["EVAL", "tostring = nil", "0"],
            &["EVAL", "_G.cjson = 1", "0"],
            &["EVAL", "_G.fresh = 1", "0"],
            &["EVAL", "return {type(_G), tostring(_G == _G._G), type(_G.redis), type(_G.KEYS)}", "0"],
            &["EVAL", "return _G.nothing", "0"],
            &["EVAL", "local f = loadstring('x = 1') return f()", "0"],
            &["EVAL", "return loadstring('return KEYS[1]')()", "1", "k"],
        ],
    ),
    (
        "refused commands",
        &[
            &["EVAL", "return redis.call('multi')", "0"],
            &["EVAL", "return redis.call('eval', 'return 1', '0')", "0"],
            &["EVAL", "return redis.call('subscribe', 'a')", "0"],
            &["EVAL", "return redis.call('blpop', 'l', 0)", "0"],
            &["EVAL", "return redis.pcall('multi')", "0"],
            &["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
            &["EVAL_RO", "return redis.pcall('set', 'a', 'b')", "0"],
            &["EVAL_RO", "return redis.call('get', 'a')", "0"],
        ],
    ),
    (
        "redis table helpers",
        &[
            &["EVAL", "return redis.sha1hex('')", "0"],
            &["EVAL", "return redis.sha1hex('abc')", "0"],
            &["EVAL", "return redis.sha1hex()", "0"],
            &["EVAL", "return redis.log(redis.LOG_WARNING, 'hello')", "0"],
            &["EVAL", "return redis.log()", "0"],
            &["EVAL", "return redis.log('x', 'y')", "0"],
            &["EVAL", "return redis.log(9, 'y')", "0"],
            &["EVAL", "return redis.replicate_commands()", "0"],
            &["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
            &["EVAL", "return redis.set_repl(99)", "0"],
            &["EVAL", "return redis.set_repl()", "0"],
            &["EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", "0"],
            &["EVAL", "return redis.breakpoint()", "0"],
            &["EVAL", "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", "0"],
        ],
    ),
];

const SCRIPT: &[Case] = &[
    ("script cache", &[
        &["SCRIPT", "LOAD", "return 'cached'"],
        &["EVALSHA", "a8b7a8feae0b7d2c8b4bac8e2a1b0d04ffe2ff82", "0"],
        &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
        &["SCRIPT", "EXISTS", "ffffffffffffffffffffffffffffffffffffffff"],
        &["EVAL", "return 'x'", "0"],
        &["SCRIPT", "EXISTS", "ffffffffffffffffffffffffffffffffffffffff", "f4a3d4b2c3f2de7a0cc3b2cb1a8a0a9d0e0c9b5e"],
        &["SCRIPT", "FLUSH"],
        &["SCRIPT", "FLUSH", "ASYNC"],
        &["SCRIPT", "FLUSH", "X"],
        &["SCRIPT", "KILL"],
        &["SCRIPT", "NOPE"],
        &["SCRIPT", "HELP"],
    ]),
    ("shebang flags", &[
        &["SET", "a", "x"],
        &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"],
        &["EVAL", "#!lua\nerror('x')", "0"],
        &["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"],
        &["EVAL", "#!lua flags=nope\nreturn 1", "0"],
        &["EVAL", "#!lua foo=bar\nreturn 1", "0"],
        &["EVAL", "#!py\nreturn 1", "0"],
        &["EVAL", "#!lua", "0"],
        &["EVAL", "#!lua flags=\nreturn 2", "0"],
        &["EVAL_RO", "#!lua\nreturn redis.call('get','a')", "0"],
        &["EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0"],
        &["EVAL", "#!lua name=x\nreturn 1", "0"],
        &["SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"],
    ]),
    ("writes and keyspace", &[
        &["EVAL", "redis.call('SET', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[1], 100) return redis.call('TTL', KEYS[1])", "1", "k", "v"],
        &["GET", "k"],
        &["EVAL", "for i = 1, 10 do redis.call('RPUSH', KEYS[1], i) end return redis.call('LLEN', KEYS[1])", "1", "list"],
        &["LRANGE", "list", "0", "-1"],
        &["EVAL", "redis.call('SELECT', 1) redis.call('SET', 'in1', 'x') return redis.call('DBSIZE')", "0"],
        &["DBSIZE"],
    ]),
    ("math.random is deterministic", &[
        &["EVAL", "math.randomseed(0) return {math.random(100), math.random(100), math.random(1, 6)}", "0"],
        &["EVAL", "math.randomseed(7) return tostring(math.random())", "0"],
        &["EVAL", "math.randomseed(42) return {math.random(1000), math.random(1000)}", "0"],
        &["EVAL", "math.randomseed(-5) return {math.random(3, 9), math.random(1000)}", "0"],
        &["EVAL", "return math.random(0)", "0"],
        &["EVAL", "return math.random(5, 1)", "0"],
    ]),
];

const LIBS: &[Case] = &[
    ("bit", &[
        &["EVAL", "return {bit.tobit(1), bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(2^31), bit.tobit(1.5), bit.tobit(2.5), bit.tobit('7')}", "0"],
        &["EVAL", "return {bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.bswap(0x12345678)}", "0"],
        &["EVAL", "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.lshift(1, 33)}", "0"],
        &["EVAL", "return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 12)}", "0"],
        &["EVAL", "return bit.band()", "0"],
        &["EVAL", "return bit.tobit('x')", "0"],
        &["EVAL", "return bit.lshift(1)", "0"],
        &["EVAL", "bit.x = 1", "0"],
    ]),
    ("cjson encode", &[
        &["EVAL", "return cjson.encode({1, 2, 3})", "0"],
        &["EVAL", "return cjson.encode({a = 1})", "0"],
        &["EVAL", "return cjson.encode({})", "0"],
        &["EVAL", "return cjson.encode('a/b\"c\\\\d\\n\\1\\127é')", "0"],
        &["EVAL", "return cjson.encode({1.5, -0.25, 1e15, 1e-7, 123456789012345, 0.1, 3.14159265358979})", "0"],
        &["EVAL", "return cjson.encode({true, false, cjson.null})", "0"],
        &["EVAL", "return cjson.encode({[1] = 'a', [3] = 'c'})", "0"],
        &["EVAL", "return cjson.encode({[1] = 'a', [20] = 'c'})", "0"],
        &["EVAL", "return cjson.encode({[1.5] = 'x'})", "0"],
        &["EVAL", "return cjson.encode({[true] = 'x'})", "0"],
        &["EVAL", "return cjson.encode({f = function() end})", "0"],
        &["EVAL", "return cjson.encode(1/0)", "0"],
        &["EVAL", "return cjson.encode()", "0"],
        &["EVAL", "return cjson.encode({name = 'job', data = {x = 1, list = {1, 2, {deep = true}}}, opts = {attempts = 3, delay = 0}})", "0"],
        &["EVAL", "local t = {} for i = 1, 20 do t['k' .. i] = i end return cjson.encode(t)", "0"],
        &["EVAL", "local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return cjson.encode(t)", "0"],
    ]),
    ("cjson decode", &[
        &["EVAL", "local t = cjson.decode('[1, 2.5, \"x\", true, false, null, {\"a\": [] }]') return {t[1], tostring(t[2]), t[3], tostring(t[4]), tostring(t[5]), tostring(t[6] == cjson.null), type(t[7].a)}", "0"],
        &["EVAL", "local t = cjson.decode('{\"a\": {\"b\": \"\\\\u00e9\\\\n\\\\/\\\\ud83d\\\\ude00\"}}') return t.a.b", "0"],
        &["EVAL", "return cjson.encode(cjson.decode('{\"x\":1,\"y\":[1,2,3],\"z\":{\"w\":null}}'))", "0"],
        &["EVAL", "return cjson.decode('')", "0"],
        &["EVAL", "return cjson.decode('[1,')", "0"],
        &["EVAL", "return cjson.decode('{1: 2}')", "0"],
        &["EVAL", "return cjson.decode('{\"a\" 2}')", "0"],
        &["EVAL", "return cjson.decode('[1 2]')", "0"],
        &["EVAL", "return cjson.decode('{\"a\": 1 \"b\"}')", "0"],
        &["EVAL", "return cjson.decode('nul')", "0"],
        &["EVAL", "return cjson.decode('[1] x')", "0"],
        &["EVAL", "return cjson.decode('\"abc')", "0"],
        &["EVAL", "return cjson.decode('\"\\\\q\"')", "0"],
        &["EVAL", "return cjson.decode(' 42 ')", "0"],
        &["EVAL", "return cjson.decode('-1.5e3')", "0"],
        &["EVAL", "return cjson.decode()", "0"],
        &["EVAL", "return cjson.decode({})", "0"],
        &["EVAL", "local ok, e = pcall(cjson.decode, '{') return e", "0"],
    ]),
    ("cmsgpack", &[
        &["EVAL", "return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 2^32, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1)", "0"],
        &["EVAL", "return cmsgpack.pack(1.5, 0.1, -0.0, 1/0, 2^53, 'abc', string.rep('x', 40), string.rep('y', 300), true, false, nil)", "0"],
        &["EVAL", "return cmsgpack.pack({1, 2, 3}, {}, {a = 1}, {[1] = 'x', [3] = 'y'}, {1, {2, {3}}})", "0"],
        &["EVAL", "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)", "0"],
        &["EVAL", "local t = {} t[1] = t return cmsgpack.pack(t)", "0"],
        &["EVAL", "local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {x = 4}})) return {a, b, c[1], c[2].x}", "0"],
        &["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1.5, -7, 2^40, 'z', true))}", "0"],
        &["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", "0"],
        &["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", "0"],
        &["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", "0"],
        &["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 1)}", "0"],
        &["EVAL", "return cmsgpack.unpack('\\205')", "0"],
        &["EVAL", "return cmsgpack.unpack('\\193')", "0"],
        &["EVAL", "return cmsgpack.unpack_one('abc', 9)", "0"],
        &["EVAL", "return cmsgpack.pack()", "0"],
        &["EVAL", "return cmsgpack.unpack()", "0"],
    ]),
    ("struct", &[
        &["EVAL", "return struct.pack('>I2 <i4 b B h H', 258, -2, -1, 255, -300, 65535)", "0"],
        &["EVAL", "return struct.pack('>l L T', -5, 2^40, 7)", "0"],
        &["EVAL", "return struct.pack('<d >f', 1.5, -0.25)", "0"],
        &["EVAL", "return struct.pack('s c3 c0 x', 'ab', 'xyz', 'whole')", "0"],
        &["EVAL", "return struct.pack('!4 b i', 1, 2)", "0"],
        &["EVAL", "return {struct.unpack('>I2 <i4 b B', struct.pack('>I2 <i4 b B', 258, -2, -1, 255))}", "0"],
        &["EVAL", "return {struct.unpack('s c3', struct.pack('s c3', 'ab', 'xyz'))}", "0"],
        &["EVAL", "return {struct.unpack('b c0', struct.pack('b c0', 3, 'abc'))}", "0"],
        &["EVAL", "local a, b = struct.unpack('>d', struct.pack('>d', 2.75)) return {tostring(a), b}", "0"],
        &["EVAL", "return {struct.unpack('b', 'xyz', 2)}", "0"],
        &["EVAL", "return {struct.size('>i4 h b'), struct.size('!8 b d'), struct.size('c5')}", "0"],
        &["EVAL", "return struct.unpack('i4', 'ab')", "0"],
        &["EVAL", "return struct.pack('q', 1)", "0"],
        &["EVAL", "return struct.pack('i40', 1)", "0"],
        &["EVAL", "return struct.pack('!3 i', 1)", "0"],
        &["EVAL", "return struct.pack('c5', 'ab')", "0"],
        &["EVAL", "return struct.unpack('s', 'abc')", "0"],
        &["EVAL", "return struct.unpack('c0', 'abc')", "0"],
        &["EVAL", "return struct.unpack('b', 'abc', 0)", "0"],
        &["EVAL", "return struct.size('s')", "0"],
        &["EVAL", "return struct.pack('i')", "0"],
    ]),
];

/// A library of one function per name, for FUNCTION LIST (Redis lists a library's functions in
/// its hash table's order).
const LIB: &str = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return {keys[1], args[1], #keys, #args} end)";

const FUNCTIONS: &[Case] = &[
    ("load, list and call", &[
        &["FUNCTION", "LOAD", LIB],
        &["FCALL", "myfunc", "1", "k", "a"],
        &["FCALL", "myfunc", "0"],
        &["FUNCTION", "LIST"],
        &["FUNCTION", "LIST", "WITHCODE"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "my*"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "my"],
        &["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "mylib"],
        &["FUNCTION", "LIST", "foo"],
        &["FUNCTION", "LIST", "LIBRARYNAME"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"],
        &["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
        &["FUNCTION", "LOAD", LIB],
        &["FUNCTION", "LOAD", "REPLACE", LIB],
        &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('myfunc', function() return 1 end)"],
        &["FUNCTION", "DELETE", "nope"],
        &["FUNCTION", "DELETE", "mylib"],
        &["FCALL", "myfunc", "0"],
        &["FUNCTION", "KILL"],
        &["FUNCTION", "FLUSH", "X"],
        &["FUNCTION", "FLUSH"],
        &["FUNCTION", "HELP"],
    ]),
    ("flags and runtime errors", &[
        &["SET", "k", "v"],
        &["FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read it'}"],
        &["FUNCTION", "LIST"],
        &["FCALL_RO", "ro", "1", "k"],
        &["FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('w', function(keys, args) return redis.call('set', keys[1], 'w') end)"],
        &["FCALL_RO", "w", "1", "k"],
        &["FCALL", "w", "1", "k"],
        &["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='rw', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}"],
        &["FCALL", "rw", "1", "k"],
        &["FUNCTION", "LOAD", "#!lua name=lib4\n\n\nredis.register_function('boom', function() error('bad') end)"],
        &["FCALL", "boom", "0"],
        &["FUNCTION", "LOAD", "#!lua name=lib5\nlocal x = 5 redis.register_function('h', function() return {x, type(pairs), KEYS} end)"],
        &["FCALL", "h", "0"],
        &["FCALL", "h", "x"],
        &["FCALL", "h", "2", "a"],
        &["FCALL", "h", "-1"],
        &["FCALL", "nope", "0"],
        &["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('g', function() return redis.setresp(3) end)"],
        &["FCALL", "g", "0"],
    ]),
    ("load errors", &[
        &["FUNCTION", "LOAD", "return 1"],
        &["FUNCTION", "LOAD", "#!lua"],
        &["FUNCTION", "LOAD", "#!lua\nredis.register_function('f', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=a-b\nredis.register_function('f', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=ok foo=bar\nredis.register_function('f', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=ok\n"],
        &["FUNCTION", "LOAD", "#!nope name=ok\nredis.register_function('f', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nx x"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nerror('at load')"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.call('ping')"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nx = 1"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function('bad-name', function() return 1 end)"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function('f', 1)"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function('f')"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function{function_name='f', callback=function() end, flags={'nope'}}"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function{function_name='f', callback=function() end, x=1}"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function{function_name='f'}"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function{callback=function() end}"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function('f', function() end) redis.register_function('f', function() end)"],
        &["FUNCTION", "LOAD", "#!lua name=ok\nredis.register_function(1, function() return 'one' end)"],
        &["FCALL", "1", "0"],
        &["FUNCTION", "LOAD", "#!lua name=ok2\nredis.register_function{function_name='all', callback=function() end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='d'}"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "ok2"],
        &["FUNCTION", "LOAD", "REPLACE"],
        &["FUNCTION", "LOAD", "X", "#!lua name=z\nredis.register_function('f', function() end)"],
    ]),
];

fn run_cases(cases: &[Case], failures: &mut Vec<String>, count: &mut usize) {
    let Some(server) = support::RedisServer::start() else { return };
    let filter = std::env::var("LUA_CASE").unwrap_or_default();
    for p in [Protocol::Resp2, Protocol::Resp3] {
        for (name, steps) in cases.iter().filter(|c| c.0.contains(&filter)) {
            let (mut redis, _sim, mut conn) = support::fresh_pair(&server, p);
            redis.call(&["SCRIPT", "FLUSH"]).expect("script flush");
            redis.call(&["FUNCTION", "FLUSH"]).expect("function flush");
            for step in steps.iter() {
                *count += 1;
                let (_, want) = redis.call_raw(step).expect("redis reply");
                let argv: Vec<Vec<u8>> = step.iter().map(|a| a.as_bytes().to_vec()).collect();
                let got = conn.execute_wire(&argv);
                if got != want {
                    failures.push(format!(
                        "{p:?} {name}: {step:?}\n    redis {}\n    sim   {}",
                        show(&want),
                        show(&got)
                    ));
                }
            }
        }
    }
}

fn check(cases: &[Case]) {
    let (mut failures, mut count) = (Vec::new(), 0);
    run_cases(cases, &mut failures, &mut count);
    println!("lua conformance: {count} steps, {} differ", failures.len());
    assert!(failures.is_empty(), "{} step(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn conversions_match_redis() {
    check(CONVERSIONS);
}

#[test]
fn errors_match_redis() {
    check(ERRORS);
}

#[test]
fn libraries_match_redis() {
    check(LIBS);
}

#[test]
fn functions_match_redis() {
    check(FUNCTIONS);
}

#[test]
fn script_commands_match_redis() {
    check(SCRIPT);
}

/// The loop a killed script runs (no writes, so SCRIPT KILL may stop it).
const ENDLESS: &str = "local i = 0 while true do i = i + 1 end";

/// Asks `call` PING until it answers BUSY (bounded): the BUSY reply.
fn until_busy(mut call: impl FnMut(&[&str]) -> Vec<u8>) -> Vec<u8> {
    for _ in 0..250 {
        let reply = call(&["PING"]);
        if reply.starts_with(b"-BUSY") {
            return reply;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no BUSY reply within 5 s");
}

/// A library whose function loops forever without writing.
const SPIN: &str =
    "#!lua name=spin\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)";

/// The commands of the kill exchange: how the endless script is started (after `setup`), then
/// what another client sends while it runs.
struct KillCase {
    setup: &'static [&'static str],
    run: &'static [&'static str],
    /// The wrong kill (answered BUSY), then the right one.
    kills: [&'static [&'static str]; 2],
}

const KILL_CASES: [KillCase; 2] = [
    KillCase { setup: &["PING"], run: &["EVAL", ENDLESS, "0"], kills: [&["FUNCTION", "KILL"], &["SCRIPT", "KILL"]] },
    KillCase {
        setup: &["FUNCTION", "LOAD", SPIN],
        run: &["FCALL", "spin", "0"],
        kills: [&["SCRIPT", "KILL"], &["FUNCTION", "KILL"]],
    },
];

/// SCRIPT KILL (FUNCTION KILL for FCALL) from another client stops a script that runs past
/// busy-reply-threshold, on redis-server and on the simulator alike: the same BUSY reply to
/// other clients meanwhile, the same answers to both kills, the same error for the killed script.
#[test]
fn script_kill_stops_a_busy_script_like_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    for case in &KILL_CASES {
        let mut admin = server.client();
        admin.call(&["FUNCTION", "FLUSH"]).expect("function flush");
        admin.call(&["CONFIG", "SET", "busy-reply-threshold", "100"]).expect("config set");
        admin.call(case.setup).expect("setup");
        let mut runner = server.client();
        let run = case.run;
        let running = std::thread::spawn(move || runner.call_raw(run).expect("script reply").1);
        let mut redis_seen = vec![until_busy(|argv| admin.call_raw(argv).expect("reply").1)];
        for argv in case.kills {
            redis_seen.push(admin.call_raw(argv).expect("reply").1);
        }
        redis_seen.push(running.join().expect("runner thread"));

        let sim = redkit::sim::Simulator::new();
        let mut admin = sim.connect();
        let wire = |c: &mut redkit::sim::Connection, argv: &[&str]| {
            c.execute_wire(&argv.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>())
        };
        wire(&mut admin, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
        wire(&mut admin, case.setup);
        let mut runner = sim.connect();
        let running = std::thread::spawn(move || wire(&mut runner, run));
        let mut sim_seen = vec![until_busy(|argv| wire(&mut admin, argv))];
        for argv in case.kills {
            sim_seen.push(wire(&mut admin, argv));
        }
        sim_seen.push(running.join().expect("runner thread"));
        let show_all = |v: &[Vec<u8>]| v.iter().map(|b| show(b)).collect::<Vec<_>>().join(" | ");
        assert_eq!(show_all(&sim_seen), show_all(&redis_seen), "{:?}", case.run);
        assert!(redis_seen[3].starts_with(b"-ERR Script killed by user with SCRIPT KILL..."));
    }
}

/// A script that wrote cannot be killed (UNKILLABLE) and runs to its end; the simulator is free
/// again after it. Simulator only: on redis-server such a script can only end by SHUTDOWN.
#[test]
fn a_script_that_wrote_is_unkillable() {
    let sim = redkit::sim::Simulator::new();
    let mut admin = sim.connect();
    admin.execute(&["CONFIG", "SET", "busy-reply-threshold", "50"]);
    let mut runner = sim.connect();
    let script = "redis.call('SET', 'k', 'v') local i = 0 while i < 3e7 do i = i + 1 end return i";
    let running = std::thread::spawn(move || runner.execute(&["EVAL", script, "0"]));
    let busy = until_busy(|argv| {
        let v = admin.execute(argv);
        compare::encode(&v, Protocol::Resp2)
    });
    assert!(busy.starts_with(b"-BUSY Redis is busy running a script."));
    let kill = admin.execute(&["SCRIPT", "KILL"]);
    assert_eq!(
        kill,
        redkit::resp::Value::error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
    );
    assert_eq!(running.join().expect("runner thread"), redkit::resp::Value::Int(30_000_000));
    assert_eq!(admin.execute(&["GET", "k"]), redkit::resp::Value::bulk("v"));
}
