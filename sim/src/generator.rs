//! Corpus generator: a deterministic scenario from a seed (same seed, same corpus) with N
//! spaces, page trees of realistic depth and fan-out, both ingest labels, attachments of many
//! types and sizes, images referenced from bodies (same-page, cross-page, external), blog
//! posts and the skipped content types. Scales to tens of thousands of pages.

use crate::prng::SplitMix64;
use crate::scenario::{
    AttachmentSeed, BasicUserSeed, CloudSiteSeed, ContentSeed, ContentType, DataCenterSeed,
    OAuthClientSeed, PageLimits, Scenario, ScopeSeed, SpaceSeed, SpaceType, UniqueSeed,
    ZitadelClientSeed,
};

/// Which Confluence flavours the corpus is generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorpusFlavor {
    Cloud,
    DataCenter,
    Both,
}

/// What to generate. The credentials it writes are listed in `README.md`.
#[derive(Clone, Debug)]
pub struct CorpusSpec {
    pub seed: u64,
    pub spaces: u32,
    pub pages_per_space: u32,
    pub flavor: CorpusFlavor,
    /// Percentage of pages that carry attachments.
    pub pages_with_attachments_percent: u64,
    /// Adds one 1 GiB attachment (bytes generated lazily) to the first labelled page.
    pub huge_attachment: bool,
    pub single_label: String,
    pub all_label: String,
}

pub const CLOUD_ID: &str = "sim-cloud";
pub const DATA_CENTER_NAME: &str = "sim-dc";
pub const HUGE_ATTACHMENT_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corpus spec {given:?} must be SEED:SPACES:PAGES_PER_SPACE (numbers), e.g. 42:3:200")]
pub struct CorpusSpecError {
    pub given: String,
}

impl CorpusSpec {
    pub fn new(seed: u64, spaces: u32, pages_per_space: u32) -> Self {
        CorpusSpec {
            seed,
            spaces,
            pages_per_space,
            flavor: CorpusFlavor::Both,
            pages_with_attachments_percent: 25,
            huge_attachment: false,
            single_label: "ai-ingest".to_owned(),
            all_label: "ai-ingest-all".to_owned(),
        }
    }

    /// Parses `SEED:SPACES:PAGES_PER_SPACE`.
    pub fn parse(text: &str) -> Result<Self, CorpusSpecError> {
        let error = || CorpusSpecError {
            given: text.to_owned(),
        };
        let parts: Vec<&str> = text.split(':').collect();
        let [seed, spaces, pages] = parts.as_slice() else {
            return Err(error());
        };
        Ok(CorpusSpec::new(
            seed.parse().map_err(|_| error())?,
            spaces.parse().map_err(|_| error())?,
            pages.parse().map_err(|_| error())?,
        ))
    }
}

const SPACE_WORDS: &[(&str, &str)] = &[
    ("ENG", "Engineering"),
    ("OPS", "Operations"),
    ("HR", "People"),
    ("FIN", "Finance"),
    ("SALES", "Sales"),
    ("LEGAL", "Legal"),
    ("MKT", "Marketing"),
    ("SUP", "Support"),
    ("PROD", "Product"),
    ("SEC", "Security"),
];

const TOPICS: &[&str] = &[
    "Runbook",
    "Onboarding",
    "Architecture",
    "Incident review",
    "Release notes",
    "Roadmap",
    "Meeting notes",
    "How-to",
    "Policy",
    "Design",
    "FAQ",
    "Retrospective",
    "Checklist",
    "Budget",
];

const WORDS: &[&str] = &[
    "alpha",
    "billing",
    "cluster",
    "deploy",
    "edge",
    "failover",
    "gateway",
    "hiring",
    "index",
    "journal",
    "kubernetes",
    "latency",
    "migration",
    "network",
    "outage",
    "pipeline",
    "quota",
    "replica",
    "storage",
    "tenant",
    "upgrade",
    "vendor",
    "webhook",
    "zone",
];

const EXTRA_LABELS: &[&str] = &[
    "draft",
    "howto",
    "archived",
    "team-a",
    "team-b",
    "needs-review",
    "ünïcode",
    "q&a",
];

/// (extension, media type, smallest size, largest size)
const ATTACHMENT_KINDS: &[(&str, &str, u64, u64)] = &[
    ("pdf", "application/pdf", 10_000, 3_000_000),
    ("png", "image/png", 1_000, 800_000),
    ("jpg", "image/jpeg", 5_000, 1_500_000),
    ("gif", "image/gif", 500, 200_000),
    ("svg", "image/svg+xml", 300, 40_000),
    ("txt", "text/plain; charset=UTF-8", 10, 50_000),
    ("csv", "text/csv", 100, 400_000),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        8_000,
        2_000_000,
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        6_000,
        1_000_000,
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        30_000,
        5_000_000,
    ),
    ("zip", "application/zip", 1_000, 5_000_000),
    ("mp4", "video/mp4", 200_000, 20_000_000),
    ("json", "application/json", 50, 100_000),
];

/// Generates the scenario for a spec.
pub fn generate(spec: &CorpusSpec) -> Scenario {
    let mut scenario = Scenario {
        unique: unique_seed(),
        ..Scenario::default()
    };
    if matches!(spec.flavor, CorpusFlavor::Cloud | CorpusFlavor::Both) {
        scenario.cloud.push(CloudSiteSeed {
            cloud_id: CLOUD_ID.to_owned(),
            oauth_clients: vec![OAuthClientSeed {
                client_id: "sim-client".to_owned(),
                client_secret: "sim-secret".to_owned(),
            }],
            token_ttl_secs: 3600,
            limits: PageLimits::cloud(),
            rate_limit: None,
            spaces: generate_spaces(spec, spec.seed, Style::Cloud),
        });
    }
    if matches!(spec.flavor, CorpusFlavor::DataCenter | CorpusFlavor::Both) {
        scenario.data_center.push(DataCenterSeed {
            name: DATA_CENTER_NAME.to_owned(),
            context_path: "/confluence".to_owned(),
            instance_id: format!("sim-dc-{}", spec.seed),
            oauth_clients: vec![OAuthClientSeed {
                client_id: "sim-dc-client".to_owned(),
                client_secret: "sim-dc-secret".to_owned(),
            }],
            personal_access_tokens: vec!["sim-pat".to_owned()],
            basic_users: vec![BasicUserSeed {
                username: "sim-user".to_owned(),
                password: "sim-password".to_owned(),
            }],
            token_ttl_secs: 3600,
            limits: PageLimits::data_center(),
            rate_limit: None,
            spaces: generate_spaces(spec, spec.seed.wrapping_add(1), Style::DataCenter),
        });
    }
    scenario
}

fn unique_seed() -> UniqueSeed {
    UniqueSeed {
        zitadel_clients: vec![ZitadelClientSeed {
            client_id: "sim-zitadel-client".to_owned(),
            client_secret: "sim-zitadel-secret".to_owned(),
            project_id: "sim-project".to_owned(),
            user_id: "sim-connector-user".to_owned(),
            token_ttl_secs: 43_199,
        }],
        scopes: vec![
            ScopeSeed {
                id: "scope-kb".to_owned(),
                name: "KB".to_owned(),
                parent_id: None,
                external_id: None,
            },
            ScopeSeed {
                id: "scope-root".to_owned(),
                name: "Confluence".to_owned(),
                parent_id: Some("scope-kb".to_owned()),
                external_id: None,
            },
        ],
        ..UniqueSeed::default()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Cloud,
    DataCenter,
}

struct Node {
    id: String,
    depth: u32,
    children: u32,
}

fn generate_spaces(spec: &CorpusSpec, seed: u64, style: Style) -> Vec<SpaceSeed> {
    let mut rng = SplitMix64::new(seed);
    let mut next_content_id: u64 = 10_000;
    let mut next_attachment_id: u64 = 500_000;
    let mut huge_pending = spec.huge_attachment;
    let mut spaces = Vec::new();
    for index in 0..spec.spaces {
        let (word, name) = SPACE_WORDS[index as usize % SPACE_WORDS.len()];
        let round = index as usize / SPACE_WORDS.len();
        let key = if round == 0 {
            word.to_owned()
        } else {
            format!("{word}{round}")
        };
        let space_type = if index > 0 && index == spec.spaces - 1 && spec.spaces > 2 {
            SpaceType::Personal
        } else if style == Style::Cloud && index % 4 == 3 {
            SpaceType::Collaboration
        } else {
            SpaceType::Global
        };
        let key = if space_type == SpaceType::Personal {
            format!("~user{index}")
        } else {
            key
        };
        let mut space = SpaceSeed {
            id: 90_000 + u64::from(index) * 17 + rng.below(7),
            key: key.clone(),
            name: if round == 0 {
                name.to_owned()
            } else {
                format!("{name} {round}")
            },
            space_type,
            contents: Vec::new(),
        };
        let mut nodes: Vec<Node> = Vec::new();
        for n in 0..spec.pages_per_space {
            let id = next_content_id.to_string();
            next_content_id += 1 + rng.below(3);
            let content_type = pick_type(&mut rng);
            let parent =
                if content_type == ContentType::Blogpost || nodes.is_empty() || rng.chance(8) {
                    None
                } else {
                    pick_parent(&mut rng, &nodes)
                };
            let depth = parent.map_or(0, |p| nodes[p].depth + 1);
            if let Some(p) = parent {
                nodes[p].children += 1;
            }
            let topic = rng.pick(TOPICS);
            let title = format!("{topic} {n}: {} {}", rng.pick(WORDS), rng.pick(WORDS));
            let mut labels = Vec::new();
            if depth == 0 && rng.chance(35) {
                labels.push(spec.all_label.clone());
            } else if rng.chance(15) {
                labels.push(spec.single_label.clone());
            }
            for _ in 0..rng.below(3) {
                let extra = rng.pick(EXTRA_LABELS).to_string();
                if !labels.contains(&extra) {
                    labels.push(extra);
                }
            }
            let with_body = matches!(content_type, ContentType::Page | ContentType::Blogpost);
            let mut attachments = Vec::new();
            if with_body && rng.chance(spec.pages_with_attachments_percent) {
                let count = if rng.chance(5) {
                    rng.between(20, 40)
                } else {
                    rng.between(1, 4)
                };
                for _ in 0..count {
                    attachments.push(random_attachment(&mut rng, style, &mut next_attachment_id));
                }
            }
            if huge_pending && with_body && !labels.is_empty() {
                huge_pending = false;
                attachments.push(AttachmentSeed {
                    id: attachment_id(style, &mut next_attachment_id),
                    title: "huge-dataset.bin".to_owned(),
                    media_type: "application/octet-stream".to_owned(),
                    size: HUGE_ATTACHMENT_BYTES,
                    text: None,
                    declared_size: None,
                    version: 1,
                    updated_at: timestamp(&mut rng),
                });
            }
            let body = with_body
                .then(|| storage_body(&mut rng, &title, &attachments, &space.contents, &key));
            space.contents.push(ContentSeed {
                id: id.clone(),
                content_type,
                title,
                parent_id: parent.map(|p| nodes[p].id.clone()),
                labels,
                version: rng.between(1, 12) as u32,
                updated_at: timestamp(&mut rng),
                body,
                attachments,
            });
            nodes.push(Node {
                id,
                depth,
                children: 0,
            });
        }
        spaces.push(space);
    }
    spaces
}

fn pick_type(rng: &mut SplitMix64) -> ContentType {
    match rng.below(100) {
        0..=84 => ContentType::Page,
        85..=90 => ContentType::Blogpost,
        91..=93 => ContentType::Folder,
        94..=95 => ContentType::Database,
        96..=97 => ContentType::Whiteboard,
        _ => ContentType::Embed,
    }
}

/// A parent of depth < 7 with fewer than 25 children; recent nodes are favoured, which gives
/// deep chains as well as wide sections.
fn pick_parent(rng: &mut SplitMix64, nodes: &[Node]) -> Option<usize> {
    for _ in 0..8 {
        let window = (nodes.len() as u64).min(40);
        let index = if rng.chance(60) {
            nodes.len() - 1 - rng.below(window) as usize
        } else {
            rng.below(nodes.len() as u64) as usize
        };
        let node = &nodes[index];
        if node.depth < 7 && node.children < 25 {
            return Some(index);
        }
    }
    None
}

fn attachment_id(style: Style, next: &mut u64) -> String {
    let n = *next;
    *next += 1;
    match style {
        Style::Cloud => format!("att{n}"),
        Style::DataCenter => n.to_string(),
    }
}

fn random_attachment(rng: &mut SplitMix64, style: Style, next: &mut u64) -> AttachmentSeed {
    let (ext, media_type, low, high) = *rng.pick(ATTACHMENT_KINDS);
    // Log-uniform sizes: many small files, a few big ones; 1 in 50 is empty.
    let size = if rng.chance(2) {
        0
    } else {
        let (ln_low, ln_high) = ((low as f64).ln(), (high as f64).ln());
        let unit = rng.below(1_000_000) as f64 / 1_000_000.0;
        (ln_low + unit * (ln_high - ln_low)).exp() as u64
    };
    let id = attachment_id(style, next);
    AttachmentSeed {
        title: format!("{}-{}.{ext}", rng.pick(WORDS), id.trim_start_matches("att")),
        id,
        media_type: media_type.to_owned(),
        size,
        text: None,
        declared_size: None,
        version: rng.between(1, 3) as u32,
        updated_at: timestamp(rng),
    }
}

fn timestamp(rng: &mut SplitMix64) -> String {
    format!(
        "202{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        rng.between(3, 5),
        rng.between(1, 12),
        rng.between(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Storage-format XHTML with headings, lists and `ac:image` macros: same-page attachments,
/// images of an earlier page in the space (cross-page), and external URLs.
fn storage_body(
    rng: &mut SplitMix64,
    title: &str,
    attachments: &[AttachmentSeed],
    earlier: &[ContentSeed],
    space_key: &str,
) -> String {
    let mut body = format!("<h1>{}</h1>", xml_escape(title));
    for _ in 0..rng.between(1, 4) {
        let sentence: Vec<&str> = (0..rng.between(6, 18)).map(|_| *rng.pick(WORDS)).collect();
        body.push_str(&format!("<p>{}.</p>", sentence.join(" ")));
    }
    if rng.chance(30) {
        body.push_str("<ul>");
        for _ in 0..rng.between(2, 5) {
            body.push_str(&format!("<li>{}</li>", rng.pick(WORDS)));
        }
        body.push_str("</ul>");
    }
    for image in attachments
        .iter()
        .filter(|a| a.media_type.starts_with("image/"))
    {
        if rng.chance(70) {
            body.push_str(&format!(
                "<ac:image ac:alt=\"{0}\" ac:width=\"{1}\"><ri:attachment ri:filename=\"{0}\" /></ac:image>",
                xml_escape(&image.title),
                rng.between(100, 800)
            ));
        }
    }
    if rng.chance(20) {
        let donor = earlier.iter().rev().take(50).find(|c| {
            c.content_type == ContentType::Page
                && c.attachments
                    .iter()
                    .any(|a| a.media_type.starts_with("image/"))
        });
        if let Some(donor) = donor
            && let Some(image) = donor
                .attachments
                .iter()
                .find(|a| a.media_type.starts_with("image/"))
        {
            body.push_str(&format!(
                "<ac:image ac:title=\"from {2}\"><ri:attachment ri:filename=\"{0}\"><ri:page ri:content-title=\"{1}\" ri:space-key=\"{2}\" /></ri:attachment></ac:image>",
                xml_escape(&image.title),
                xml_escape(&donor.title),
                xml_escape(space_key)
            ));
        }
    }
    if rng.chance(10) {
        body.push_str(
            "<ac:image><ri:url ri:value=\"https://images.example.com/logo.png\" /></ac:image>",
        );
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
        let spec = CorpusSpec::new(42, 3, 120);
        let a = serde_yaml_ng::to_string(&generate(&spec)).expect("yaml");
        let b = serde_yaml_ng::to_string(&generate(&spec)).expect("yaml");
        assert_eq!(a, b);
        let c = serde_yaml_ng::to_string(&generate(&CorpusSpec::new(43, 3, 120))).expect("yaml");
        assert_ne!(a, c);
    }

    #[test]
    fn a_large_corpus_has_ten_thousand_pages_thousands_of_attachments_and_every_kind() {
        let mut spec = CorpusSpec::new(7, 20, 520);
        spec.flavor = CorpusFlavor::Cloud;
        spec.huge_attachment = true;
        let scenario = generate(&spec);
        scenario.validate().expect("consistent");
        let contents: Vec<&ContentSeed> = scenario.cloud[0]
            .spaces
            .iter()
            .flat_map(|s| &s.contents)
            .collect();
        assert!(contents.len() >= 10_000);
        let attachments: usize = contents.iter().map(|c| c.attachments.len()).sum();
        assert!(attachments >= 2_000, "{attachments}");
        for kind in [
            ContentType::Blogpost,
            ContentType::Folder,
            ContentType::Database,
            ContentType::Whiteboard,
            ContentType::Embed,
        ] {
            assert!(contents.iter().any(|c| c.content_type == kind), "{kind:?}");
        }
        assert!(contents.iter().any(|c| c.labels.contains(&spec.all_label)));
        assert!(
            contents
                .iter()
                .any(|c| c.labels.contains(&spec.single_label))
        );
        let bodies: Vec<&str> = contents.iter().filter_map(|c| c.body.as_deref()).collect();
        assert!(
            bodies.iter().any(|b| b.contains("<ri:page ")),
            "cross-page images"
        );
        assert!(
            bodies
                .iter()
                .any(|b| b.contains("<ri:attachment ri:filename") && !b.contains("<ri:page ")),
            "same-page images"
        );
        assert!(
            bodies.iter().any(|b| b.contains("<ri:url ")),
            "external images"
        );
        let huge: Vec<_> = contents
            .iter()
            .flat_map(|c| &c.attachments)
            .filter(|a| a.size == HUGE_ATTACHMENT_BYTES)
            .collect();
        assert_eq!(huge.len(), 1);
        let max_depth = contents.iter().map(|c| {
            let mut depth = 0;
            let mut parent = c.parent_id.clone();
            while let Some(p) = parent {
                depth += 1;
                parent = contents
                    .iter()
                    .find(|x| x.id == p)
                    .and_then(|x| x.parent_id.clone());
            }
            depth
        });
        assert!(
            max_depth.take(300).max().unwrap_or(0) >= 3,
            "trees have depth"
        );
    }

    #[test]
    fn spec_strings_parse_and_bad_ones_are_rejected() {
        let spec = CorpusSpec::parse("42:3:200").expect("parses");
        assert_eq!((spec.seed, spec.spaces, spec.pages_per_space), (42, 3, 200));
        assert!(CorpusSpec::parse("42:3").is_err());
        assert!(CorpusSpec::parse("a:b:c").is_err());
    }
}
