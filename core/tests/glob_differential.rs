//! Differential test of the glob matcher (`keys::glob_match`, Redis's `stringmatchlen`) against a
//! real redis-server: random keys and random patterns drawn from the glob metacharacters
//! (`* ? [ ] ^ - \\`), compared through KEYS. Seeded, so a failure replays.

mod support;
use redkit::resp::Value;
use redkit::sim::commands::keys::glob_match;

#[test]
fn glob_matches_redis_keys_for_random_patterns() {
    let Some(server) = support::RedisServer::start() else { return };
    let mut r = server.client();
    let alphabet: &[u8] = b"ab[]^-\\*?cA";
    let mut seed: u64 = 0x1234_5678;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut keys = Vec::new();
    for _ in 0..200 {
        let len = rnd(6);
        let k: Vec<u8> = (0..len).map(|_| alphabet[rnd(alphabet.len())]).collect();
        keys.push(k);
    }
    keys.sort();
    keys.dedup();
    for k in &keys {
        r.call(&[b"SET".to_vec(), k.clone(), b"1".to_vec()]).expect("redis reply");
    }
    let mut bad = 0;
    for _ in 0..5000 {
        let len = rnd(7);
        let p: Vec<u8> = (0..len).map(|_| alphabet[rnd(alphabet.len())]).collect();
        let Value::Array(got) = r.call(&[b"KEYS".to_vec(), p.clone()]).expect("redis reply") else {
            panic!("KEYS reply")
        };
        let mut got: Vec<Vec<u8>> = got.iter().map(|v| v.as_bytes().unwrap_or_default().to_vec()).collect();
        got.sort();
        let mine: Vec<Vec<u8>> = keys.iter().filter(|k| p == b"*" || glob_match(&p, k, false)).cloned().collect();
        if got != mine {
            bad += 1;
            if bad < 10 {
                println!(
                    "pattern {:?}: redis {:?} mine {:?}",
                    String::from_utf8_lossy(&p),
                    got.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>(),
                    mine.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>()
                );
            }
        }
    }
    assert_eq!(bad, 0);
}
