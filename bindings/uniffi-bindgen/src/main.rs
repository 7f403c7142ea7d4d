//! `uniffi-bindgen`: generates the Kotlin and Swift bindings from the built `libsidkit` library.
//! Use `scripts/generate-bindings.sh` rather than calling it directly.

fn main() {
    uniffi::uniffi_bindgen_main()
}
