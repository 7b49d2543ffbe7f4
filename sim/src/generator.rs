//! Corpus generator (placeholder until the generator lands).

/// What to generate.
#[derive(Clone, Debug)]
pub struct CorpusSpec {
    pub seed: u64,
}
