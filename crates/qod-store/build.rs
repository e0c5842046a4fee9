//! Rebuilds the crate when a migration is added, so that the embedded migrations stay current.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
