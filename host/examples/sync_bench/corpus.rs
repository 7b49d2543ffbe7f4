//! The benchmark's corpora: a generated Cloud corpus sized so that the connector syncs at least
//! the requested number of pages, the count it should sync (checked against what discovery
//! reports), and a copy of a corpus on several Cloud sites for the multi-tenant run.

use std::collections::{HashMap, HashSet};

use connector_sim::generator::{self, CorpusFlavor, CorpusSpec};
use connector_sim::scenario::{CloudSiteSeed, ContentType, Scenario, ScopeSeed, SpaceType};

const SEED: u64 = 7;
const SPACES: u32 = 20;
/// Calibration rounds: the labelled share varies a little with the corpus size.
const SIZING_ROUNDS: usize = 6;

/// What the connector should find in a corpus (the plugin's selection, estimated here).
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected {
    /// Pages, blog posts and folders carrying an ingest label or below an `ai-ingest-all` root.
    pub pages: u64,
    pub attachments: u64,
    pub attachment_bytes: u64,
}

/// A Cloud corpus whose selection holds at least `pages` pages, with `attachments_percent` of
/// its pages carrying attachments and optionally the 1 GiB attachment.
pub fn sized(pages: u64, attachments_percent: u64, huge_attachment: bool) -> (Scenario, Expected) {
    let spec = |per_space: u32| CorpusSpec {
        flavor: CorpusFlavor::Cloud,
        pages_with_attachments_percent: attachments_percent,
        huge_attachment,
        ..CorpusSpec::new(SEED, SPACES, per_space)
    };
    let mut per_space = (pages / u64::from(SPACES)).max(1) as u32;
    for _ in 0..SIZING_ROUNDS {
        let mut scenario = generator::generate(&spec(per_space));
        label_the_huge_attachments_page(&mut scenario);
        let expected = expected_selection(&scenario);
        if expected.pages >= pages {
            return (scenario, expected);
        }
        // Scale by the labelled share seen so far, plus a little so the loop converges upwards.
        let share = expected.pages.max(1) as f64 / f64::from(per_space * SPACES);
        per_space = ((pages as f64 / share / f64::from(SPACES)) * 1.01).ceil() as u32 + 1;
    }
    let mut scenario = generator::generate(&spec(per_space));
    label_the_huge_attachments_page(&mut scenario);
    let expected = expected_selection(&scenario);
    (scenario, expected)
}

/// The generator puts the 1 GiB attachment on the first page with any label, which may be a
/// label the connector does not ingest: that page gets `ai-ingest`, so the file is synced.
fn label_the_huge_attachments_page(scenario: &mut Scenario) {
    let holder = scenario
        .cloud
        .iter_mut()
        .flat_map(|site| site.spaces.iter_mut())
        .flat_map(|space| space.contents.iter_mut())
        .find(|content| {
            content
                .attachments
                .iter()
                .any(|a| a.size == generator::HUGE_ATTACHMENT_BYTES)
        });
    if let Some(page) = holder
        && !page
            .labels
            .iter()
            .any(|label| label == "ai-ingest" || label == "ai-ingest-all")
    {
        page.labels.push("ai-ingest".into());
    }
}

/// The selection of the Cloud plugin on the first site: items with either ingest label in
/// global and collaboration spaces, plus the descendants of `ai-ingest-all` items; pages, blog
/// posts and folders are kept, with the attachments of the kept items.
pub fn expected_selection(scenario: &Scenario) -> Expected {
    let Some(site) = scenario.cloud.first() else {
        return Expected::default();
    };
    let mut expected = Expected::default();
    for space in site
        .spaces
        .iter()
        .filter(|space| space.space_type != SpaceType::Personal)
    {
        let parents: HashMap<&str, Option<&str>> = space
            .contents
            .iter()
            .map(|content| (content.id.as_str(), content.parent_id.as_deref()))
            .collect();
        let all_roots: HashSet<&str> = space
            .contents
            .iter()
            .filter(|content| content.labels.iter().any(|label| label == "ai-ingest-all"))
            .map(|content| content.id.as_str())
            .collect();
        let below_root = |start: &str| {
            let mut parent = parents.get(start).copied().flatten();
            while let Some(id) = parent {
                if all_roots.contains(id) {
                    return true;
                }
                parent = parents.get(id).copied().flatten();
            }
            false
        };
        for content in &space.contents {
            let kept = matches!(
                content.content_type,
                ContentType::Page | ContentType::Blogpost | ContentType::Folder
            );
            let labelled = content
                .labels
                .iter()
                .any(|label| label == "ai-ingest" || label == "ai-ingest-all");
            if kept && (labelled || below_root(&content.id)) {
                expected.pages += 1;
                expected.attachments += content.attachments.len() as u64;
                expected.attachment_bytes +=
                    content.attachments.iter().map(|a| a.size).sum::<u64>();
            }
        }
    }
    expected
}

/// `scenario`'s first Cloud site copied to `copies` sites (`sim-cloud-0`, …) with one root scope
/// per copy (`scope-root-0`, …) under the generated `scope-kb`.
pub fn on_many_sites(mut scenario: Scenario, copies: usize) -> Scenario {
    let Some(site) = scenario.cloud.first().cloned() else {
        return scenario;
    };
    scenario.cloud = (0..copies)
        .map(|index| CloudSiteSeed {
            cloud_id: format!("{}-{index}", generator::CLOUD_ID),
            ..site.clone()
        })
        .collect();
    scenario
        .unique
        .scopes
        .extend((0..copies).map(|index| ScopeSeed {
            id: format!("scope-root-{index}"),
            name: format!("Confluence {index}"),
            parent_id: Some("scope-kb".into()),
            external_id: None,
        }));
    scenario
}
