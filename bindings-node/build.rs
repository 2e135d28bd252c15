//! Links the addon against the N-API symbols Node provides at load time.
fn main() {
    napi_build::setup();
}
