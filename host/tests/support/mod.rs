//! Test servers shared by the outbound integration tests.

pub mod proxy;
