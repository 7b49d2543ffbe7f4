//! Invalid tenant files: each case loads real files from a temporary directory and must fail
//! with exactly the listed messages (file, key path, rule), all of them together.

mod config_support;

use config_support::{ACME, ONPREM, SECRET_VALUES, TenantDir, error_lines, replaced};

const ACME_FILE: &str = "acme-tenant-config.yaml";
const ONPREM_FILE: &str = "onprem-tenant-config.yaml";

struct Case {
    name: &'static str,
    files: Vec<(&'static str, String)>,
    expected: Vec<&'static str>,
}

fn acme(from: &str, to: &str) -> Vec<(&'static str, String)> {
    vec![(ACME_FILE, replaced(ACME, from, to))]
}

fn onprem(from: &str, to: &str) -> Vec<(&'static str, String)> {
    vec![(ONPREM_FILE, replaced(ONPREM, from, to))]
}

/// A third-party plugin tenant; `source` is spliced in as written.
fn plugin_tenant(source: &str) -> String {
    let rest = ACME
        .split_once("unique:")
        .map(|(_, rest)| rest)
        .expect("fixture has a unique section");
    format!("{source}unique:{rest}")
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "zero rate limit",
            files: acme("apiRateLimitPerMinute: 300", "apiRateLimitPerMinute: 0"),
            expected: vec![
                "acme-tenant-config.yaml: confluence.apiRateLimitPerMinute: must be a positive integer (got 0)",
            ],
        },
        Case {
            name: "non-numeric string where an integer is coerced",
            files: acme(
                "apiRateLimitPerMinute: 300",
                "apiRateLimitPerMinute: \"fast\"",
            ),
            expected: vec![
                "acme-tenant-config.yaml: confluence.apiRateLimitPerMinute: must be a positive integer (got \"fast\")",
            ],
        },
        Case {
            name: "negative concurrency in a string",
            files: acme("concurrency: 4", "concurrency: \"-1\""),
            expected: vec![
                "acme-tenant-config.yaml: processing.concurrency: must be a positive integer (got \"-1\")",
            ],
        },
        Case {
            name: "rate limit beyond 32 bits",
            files: acme(
                "apiRateLimitPerMinute: 300",
                "apiRateLimitPerMinute: 5000000000",
            ),
            expected: vec![
                "acme-tenant-config.yaml: confluence.apiRateLimitPerMinute: must be at most 4294967295 (got 5000000000)",
            ],
        },
        Case {
            name: "zero maxItemsToScan",
            files: acme("concurrency: 4", "concurrency: 4\n  maxItemsToScan: 0"),
            expected: vec![
                "acme-tenant-config.yaml: processing.maxItemsToScan: must be a positive integer (got 0)",
            ],
        },
        Case {
            name: "number field given as a string",
            files: acme("maxFileSizeMb: 50", "maxFileSizeMb: \"50\""),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.attachments.maxFileSizeMb: must be a number, not a string (got \"50\")",
            ],
        },
        Case {
            name: "fractional file size",
            files: acme("maxFileSizeMb: 50", "maxFileSizeMb: 1.5"),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.attachments.maxFileSizeMb: must be a positive integer (got 1.5)",
            ],
        },
        Case {
            name: "boolean where a switch is expected",
            files: acme(
                "scopeId: scope_root_acme",
                "scopeId: scope_root_acme\n  storeInternally: true",
            ),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.storeInternally: must be `enabled` or `disabled` (got true)",
            ],
        },
        Case {
            name: "misspelt switch value",
            files: acme("maxFileSizeMb: 50", "maxFileSizeMb: 50\n    imageOcr: on"),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.attachments.imageOcr: must be `enabled` or `disabled` (got \"on\")",
            ],
        },
        Case {
            name: "base URL with a trailing slash",
            files: acme("https://acme.atlassian.net", "https://acme.atlassian.net/"),
            expected: vec![
                "acme-tenant-config.yaml: confluence.baseUrl: must not end with `/` (got \"https://acme.atlassian.net/\")",
            ],
        },
        Case {
            name: "Unique base URL with a trailing slash",
            files: acme("http://node-ingestion:8091", "http://node-ingestion:8091/"),
            expected: vec![
                "acme-tenant-config.yaml: unique.ingestionServiceBaseUrl: must not end with `/` (got \"http://node-ingestion:8091/\")",
            ],
        },
        Case {
            name: "endpoint override with a trailing slash",
            files: acme("cloudId:", "apiBaseUrl: http://127.0.0.1:9000/\n  cloudId:"),
            expected: vec![
                "acme-tenant-config.yaml: confluence.apiBaseUrl: must not end with `/` (got \"http://127.0.0.1:9000/\")",
            ],
        },
        Case {
            name: "URL without a scheme",
            files: acme("https://acme.atlassian.net", "acme.atlassian.net"),
            expected: vec![
                "acme-tenant-config.yaml: confluence.baseUrl: must be an absolute http or https URL (relative URL without a base) (got \"acme.atlassian.net\")",
            ],
        },
        Case {
            name: "URL with another scheme",
            files: onprem(
                "https://id.example.com/oauth/v2/token",
                "ftp://id.example.com/token",
            ),
            expected: vec![
                "onprem-tenant-config.yaml: unique.zitadelOauthTokenUrl: must be an http or https URL (scheme is `ftp`) (got \"ftp://id.example.com/token\")",
            ],
        },
        Case {
            name: "cloud without cloudId",
            files: acme("  cloudId: 0f6a1c2e-1111-2222-3333-444455556666\n", ""),
            expected: vec!["acme-tenant-config.yaml: confluence.cloudId: is required"],
        },
        Case {
            name: "blank cloudId",
            files: acme("0f6a1c2e-1111-2222-3333-444455556666", "\"  \""),
            expected: vec![
                "acme-tenant-config.yaml: confluence.cloudId: must not be empty or only whitespace",
            ],
        },
        Case {
            name: "missing auth section",
            files: acme(
                "  auth:\n    mode: oauth_2lo\n    clientId: acme-service-account\n    clientSecret: os.environ/CONFLUENCE_CLIENT_SECRET\n",
                "",
            ),
            expected: vec!["acme-tenant-config.yaml: confluence.auth: is required"],
        },
        Case {
            name: "oauth without client id",
            files: acme("    clientId: acme-service-account\n", ""),
            expected: vec!["acme-tenant-config.yaml: confluence.auth.clientId: is required"],
        },
        Case {
            name: "personal access token on cloud",
            files: acme(
                "    mode: oauth_2lo\n    clientId: acme-service-account\n    clientSecret: os.environ/CONFLUENCE_CLIENT_SECRET",
                "    mode: pat\n    token: os.environ/CONFLUENCE_PAT",
            ),
            expected: vec![
                "acme-tenant-config.yaml: confluence.auth.mode: `pat` is not allowed for instanceType `cloud` (only `oauth_2lo`)",
            ],
        },
        Case {
            name: "basic auth on cloud",
            files: acme(
                "    mode: oauth_2lo\n    clientId: acme-service-account\n    clientSecret: os.environ/CONFLUENCE_CLIENT_SECRET",
                "    mode: basic\n    username: bot\n    password: os.environ/CONFLUENCE_PAT",
            ),
            expected: vec![
                "acme-tenant-config.yaml: confluence.auth.mode: `basic` is not allowed for instanceType `cloud` (only `oauth_2lo`)",
            ],
        },
        Case {
            name: "unknown auth mode",
            files: onprem("mode: pat", "mode: kerberos"),
            expected: vec![
                "onprem-tenant-config.yaml: confluence.auth.mode: must be one of `oauth_2lo`, `pat`, `basic` (got \"kerberos\")",
            ],
        },
        Case {
            name: "unknown instance type",
            files: onprem("instanceType: data-center", "instanceType: server"),
            expected: vec![
                "onprem-tenant-config.yaml: confluence.instanceType: must be `cloud` or `data-center` (got \"server\")",
            ],
        },
        Case {
            name: "blank ingest label",
            files: acme("ingestSingleLabel: ai-ingest", "ingestSingleLabel: \"  \""),
            expected: vec![
                "acme-tenant-config.yaml: confluence.ingestSingleLabel: must not be empty or only whitespace",
            ],
        },
        Case {
            name: "missing ingest-all label",
            files: acme("  ingestAllLabel: ai-ingest-all\n", ""),
            expected: vec!["acme-tenant-config.yaml: confluence.ingestAllLabel: is required"],
        },
        Case {
            name: "cron with too few fields",
            files: acme(
                "concurrency: 4",
                "concurrency: 4\n  scanIntervalCron: \"*/5 * *\"",
            ),
            expected: vec![
                "acme-tenant-config.yaml: processing.scanIntervalCron: must have 5 fields, or 6 with seconds first (got 3 in \"*/5 * *\")",
            ],
        },
        Case {
            name: "cron field out of range",
            files: acme(
                "concurrency: 4",
                "concurrency: 4\n  scanIntervalCron: \"0 25 * * *\"",
            ),
            expected: vec![
                "acme-tenant-config.yaml: processing.scanIntervalCron: is not a valid cron expression (\"0 25 * * *\": Number out of bounds)",
            ],
        },
        Case {
            name: "cron that never fires",
            files: acme(
                "concurrency: 4",
                "concurrency: 4\n  scanIntervalCron: \"0 0 30 2 *\"",
            ),
            expected: vec![
                "acme-tenant-config.yaml: processing.scanIntervalCron: never fires (\"0 0 30 2 *\")",
            ],
        },
        Case {
            name: "unset secret variable",
            files: acme(
                "os.environ/CONFLUENCE_CLIENT_SECRET",
                "os.environ/ACME_CLIENT_SECRET",
            ),
            expected: vec![
                "acme-tenant-config.yaml: confluence.auth.clientSecret: environment variable `ACME_CLIENT_SECRET` (from `os.environ/ACME_CLIENT_SECRET`) is unset or empty",
            ],
        },
        Case {
            name: "blank secret variable",
            files: onprem("os.environ/CONFLUENCE_PAT", "os.environ/BLANK_SECRET"),
            expected: vec![
                "onprem-tenant-config.yaml: confluence.auth.token: environment variable `BLANK_SECRET` (from `os.environ/BLANK_SECRET`) is unset or empty",
            ],
        },
        Case {
            name: "empty literal secret",
            files: onprem("os.environ/ZITADEL_CLIENT_SECRET", "\"\""),
            expected: vec![
                "onprem-tenant-config.yaml: unique.zitadelClientSecret: must not be empty",
            ],
        },
        Case {
            name: "reference without a variable name",
            files: onprem("os.environ/ZITADEL_PROJECT_ID", "os.environ/"),
            expected: vec![
                "onprem-tenant-config.yaml: unique.zitadelProjectId: `os.environ/` must be followed by an environment variable name",
            ],
        },
        Case {
            name: "external Unique without client secret",
            files: onprem(
                "  zitadelClientSecret: os.environ/ZITADEL_CLIENT_SECRET\n",
                "",
            ),
            expected: vec!["onprem-tenant-config.yaml: unique.zitadelClientSecret: is required"],
        },
        Case {
            name: "cluster-local headers without the user id",
            files: acme(
                "{ x-company-id: company-1, x-user-id: user-1 }",
                "{ x-company-id: company-1 }",
            ),
            expected: vec![
                "acme-tenant-config.yaml: unique.serviceExtraHeaders: must contain `x-user-id`",
            ],
        },
        Case {
            name: "cluster-local without headers",
            files: acme(
                "  serviceExtraHeaders: { x-company-id: company-1, x-user-id: user-1 }\n",
                "",
            ),
            expected: vec!["acme-tenant-config.yaml: unique.serviceExtraHeaders: is required"],
        },
        Case {
            name: "header value that is not a string",
            files: acme("x-user-id: user-1", "x-user-id: 42"),
            expected: vec![
                "acme-tenant-config.yaml: unique.serviceExtraHeaders.x-user-id: must be a string (got 42)",
            ],
        },
        Case {
            name: "unknown service auth mode",
            files: acme(
                "serviceAuthMode: cluster_local",
                "serviceAuthMode: cluster-local",
            ),
            expected: vec![
                "acme-tenant-config.yaml: unique.serviceAuthMode: must be `cluster_local` or `external` (got \"cluster-local\")",
            ],
        },
        Case {
            name: "unknown status",
            files: acme("confluence:\n", "status: paused\nconfluence:\n"),
            expected: vec![
                "acme-tenant-config.yaml: status: must be one of `active`, `inactive`, `deleted` (got \"paused\")",
            ],
        },
        Case {
            name: "missing processing section",
            files: acme("processing:\n  concurrency: 4\n", ""),
            expected: vec!["acme-tenant-config.yaml: processing: is required"],
        },
        Case {
            name: "empty processing section",
            files: acme("processing:\n  concurrency: 4\n", "processing:\n"),
            expected: vec!["acme-tenant-config.yaml: processing: must be a mapping (got null)"],
        },
        Case {
            name: "missing root scope",
            files: acme("  scopeId: scope_root_acme\n", ""),
            expected: vec!["acme-tenant-config.yaml: ingestion.scopeId: is required"],
        },
        Case {
            name: "other ingestion mode",
            files: acme(
                "scopeId: scope_root_acme",
                "scopeId: scope_root_acme\n  ingestionMode: tree",
            ),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.ingestionMode: must be `flat` (got \"tree\")",
            ],
        },
        Case {
            name: "blank MIME type",
            files: acme(
                "maxFileSizeMb: 50",
                "maxFileSizeMb: 50\n    allowedMimeTypes: [application/pdf, \"\"]",
            ),
            expected: vec![
                "acme-tenant-config.yaml: ingestion.attachments.allowedMimeTypes[1]: must not be empty or only whitespace",
            ],
        },
        Case {
            name: "image extraction without a language model",
            files: onprem(
                "{ enabled: true, languageModel: some-vision-model }",
                "{ enabled: true, languageModel: \" \" }",
            ),
            expected: vec![
                "onprem-tenant-config.yaml: ingestion.pageIngestionConfig.htmlConfig.imageContentExtraction.languageModel: is required (a non-blank string) when `imageContentExtraction.enabled` is true",
            ],
        },
        Case {
            name: "neither confluence nor source",
            files: vec![(ACME_FILE, plugin_tenant(""))],
            expected: vec![
                "acme-tenant-config.yaml: confluence: is required (or `source` naming a third-party plugin)",
            ],
        },
        Case {
            name: "first-party plugin without the confluence section",
            files: vec![(
                ACME_FILE,
                plugin_tenant("source:\n  plugin: confluence-cloud\n"),
            )],
            expected: vec![
                "acme-tenant-config.yaml: source.plugin: plugin `confluence-cloud` needs the `confluence` section",
            ],
        },
        Case {
            name: "plugin oauth without a token URL",
            files: vec![(
                ACME_FILE,
                plugin_tenant(
                    "source:\n  plugin: wiki-example\n  auth: { mode: oauth_2lo, clientId: bot, clientSecret: os.environ/WIKI_CLIENT_SECRET }\n",
                ),
            )],
            expected: vec![
                "acme-tenant-config.yaml: source.auth.tokenUrl: is required for mode `oauth_2lo`",
            ],
        },
        Case {
            name: "plugin id breaking the rule",
            files: vec![(
                ACME_FILE,
                plugin_tenant("source:\n  plugin: Wiki_Example\n"),
            )],
            expected: vec![
                "acme-tenant-config.yaml: source.plugin: plugin id \"Wiki_Example\" must match ^[a-z0-9]+(-[a-z0-9]+)*$ (lower-case letters and digits, words joined by single `-`)",
            ],
        },
        Case {
            name: "first-party plugin of the other instance type",
            files: acme(
                "confluence:\n",
                "source: { plugin: confluence-data-center }\nconfluence:\n",
            ),
            expected: vec![
                "acme-tenant-config.yaml: source.plugin: plugin `confluence-data-center` does not serve instanceType `cloud` (use `confluence-cloud`)",
            ],
        },
        Case {
            name: "duplicate key",
            files: acme("processing:\n", "processing: {}\nprocessing:\n"),
            expected: vec![
                "acme-tenant-config.yaml: invalid YAML: duplicate entry with key \"processing\" at line 2 column 1",
            ],
        },
        Case {
            name: "top level is a list",
            files: vec![(ACME_FILE, "- confluence\n- unique\n".to_owned())],
            expected: vec!["acme-tenant-config.yaml: top level must be a mapping (got a list)"],
        },
        Case {
            name: "empty file",
            files: vec![(ACME_FILE, String::new())],
            expected: vec!["acme-tenant-config.yaml: is empty; its top level must be a mapping"],
        },
        Case {
            name: "tenant name with upper-case letters",
            files: vec![("Acme-tenant-config.yaml", ACME.to_owned())],
            expected: vec![
                "Acme-tenant-config.yaml: tenant name \"Acme\" must match ^[a-z0-9]+(-[a-z0-9]+)*$ (lower-case letters and digits, words joined by single `-`)",
            ],
        },
        Case {
            name: "tenant name with a double dash",
            files: vec![("acme--prod-tenant-config.yaml", ACME.to_owned())],
            expected: vec![
                "acme--prod-tenant-config.yaml: tenant name \"acme--prod\" must match ^[a-z0-9]+(-[a-z0-9]+)*$ (lower-case letters and digits, words joined by single `-`)",
            ],
        },
        Case {
            name: "no active or deleted tenant",
            files: acme("confluence:\n", "status: inactive\nconfluence:\n"),
            expected: vec!["no tenant is `active` or `deleted`; at least one must be"],
        },
    ]
}

#[test]
fn every_invalid_case_fails_with_exactly_its_messages() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = TenantDir::new();
        for (file, content) in &case.files {
            dir.write(file, content);
        }
        match dir.load() {
            Ok(loaded) => failures.push(format!(
                "{}: loaded {} tenant(s) instead of failing",
                case.name,
                loaded.tenants.len()
            )),
            Err(errors) => {
                let lines = error_lines(&errors);
                if lines != case.expected {
                    failures.push(format!(
                        "{}:\n  expected {:#?}\n  got      {:#?}",
                        case.name, case.expected, lines
                    ));
                }
                for secret in SECRET_VALUES {
                    if errors.to_string().contains(secret) {
                        failures.push(format!("{}: a message shows a secret value", case.name));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_of_all_files_are_reported_together() {
    let dir = TenantDir::new();
    dir.write(
        ACME_FILE,
        &replaced(
            &replaced(
                ACME,
                "apiRateLimitPerMinute: 300",
                "apiRateLimitPerMinute: 0",
            ),
            "concurrency: 4",
            "concurrency: 0",
        ),
    );
    dir.write(
        ONPREM_FILE,
        &replaced(
            ONPREM,
            "https://api.example.com/ingestion",
            "https://api.example.com/ingestion/",
        ),
    );
    let errors = dir.load().expect_err("both files are invalid");
    assert_eq!(
        error_lines(&errors),
        [
            "acme-tenant-config.yaml: confluence.apiRateLimitPerMinute: must be a positive integer (got 0)",
            "acme-tenant-config.yaml: processing.concurrency: must be a positive integer (got 0)",
            "onprem-tenant-config.yaml: unique.ingestionServiceBaseUrl: must not end with `/` (got \"https://api.example.com/ingestion/\")",
        ]
    );
}

#[test]
fn inactive_tenant_is_validated_too() {
    let dir = TenantDir::new();
    dir.write(ACME_FILE, ACME);
    dir.write(
        ONPREM_FILE,
        &replaced(
            ONPREM,
            "confluence:\n",
            "status: inactive\nconfluence:\n  cloudId: 5\n",
        )
        .replace("apiRateLimitPerMinute: 120", "apiRateLimitPerMinute: -5"),
    );
    let errors = dir.load().expect_err("the inactive file is invalid");
    assert_eq!(
        error_lines(&errors),
        [
            "onprem-tenant-config.yaml: confluence.apiRateLimitPerMinute: must be a positive integer (got -5)"
        ]
    );
    // The key of the other variant is a warning, reported with the errors.
    assert_eq!(
        errors
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["onprem-tenant-config.yaml: confluence.cloudId: unknown key (ignored)"]
    );
}

#[test]
fn same_tenant_name_from_two_directories_is_an_error_naming_both_files() {
    let dir = TenantDir::new();
    let first = dir.write("eu/acme-tenant-config.yaml", ACME);
    let second = dir.write(
        "us/acme-tenant-config.yaml",
        &replaced(
            ACME,
            "0f6a1c2e-1111-2222-3333-444455556666",
            "other-cloud-id",
        ),
    );
    let pattern = dir.pattern_for("*/*-tenant-config.yaml");
    let errors = connector_host::config::load_tenants(&pattern, config_support::test_env)
        .expect_err("duplicate names");
    assert_eq!(
        error_lines(&errors),
        [format!(
            "{} and {}: both give the tenant name `acme`; tenant names must be unique",
            first.display(),
            second.display()
        )]
    );
}

#[test]
fn two_active_tenants_of_one_confluence_instance_are_an_error_naming_both_files() {
    let dir = TenantDir::new();
    let first = dir.write(ACME_FILE, ACME);
    let second = dir.write(
        "acme-copy-tenant-config.yaml",
        &replaced(ACME, "scope_root_acme", "scope_root_copy"),
    );
    let errors = dir.load().expect_err("duplicate instance");
    assert_eq!(
        error_lines(&errors),
        [format!(
            "{} and {}: both are active tenants of Confluence instance `cloud:0f6a1c2e-1111-2222-3333-444455556666`; each instance may appear in one active tenant only",
            second.display(),
            first.display()
        )]
    );
}

#[test]
fn an_inactive_tenant_may_share_an_instance_with_an_active_one() {
    let dir = TenantDir::new();
    dir.write(ACME_FILE, ACME);
    dir.write(
        "acme-old-tenant-config.yaml",
        &replaced(ACME, "confluence:\n", "status: inactive\nconfluence:\n"),
    );
    assert_eq!(dir.load().expect("valid set").tenants.len(), 2);
}

#[test]
fn deleted_tenant_sharing_the_active_root_scope_is_an_error() {
    let dir = TenantDir::new();
    let active = dir.write(ACME_FILE, ACME);
    let deleted = dir.write(
        "acme-old-tenant-config.yaml",
        &replaced(
            &replaced(ACME, "confluence:\n", "status: deleted\nconfluence:\n"),
            "0f6a1c2e-1111-2222-3333-444455556666",
            "retired-cloud-id",
        ),
    );
    let errors = dir.load().expect_err("shared scope");
    assert_eq!(
        error_lines(&errors),
        [format!(
            "{}: ingestion.scopeId: the deleted tenant's root scope `scope_root_acme` is also the root scope of active tenant {}; its cleanup would delete the active tenant's scopes",
            deleted.display(),
            active.display()
        )]
    );
}

#[test]
fn a_matched_file_without_the_suffix_is_an_error() {
    let dir = TenantDir::new();
    dir.write(ACME_FILE, ACME);
    dir.write("notes.yaml", ACME);
    let errors =
        connector_host::config::load_tenants(&dir.pattern_for("*.yaml"), config_support::test_env)
            .expect_err("bad file name");
    assert_eq!(
        error_lines(&errors),
        ["notes.yaml: file name must end with `-tenant-config.yaml`"]
    );
}

#[test]
fn a_pattern_matching_no_file_is_an_error() {
    let dir = TenantDir::new();
    let pattern = dir.pattern();
    let errors = dir.load().expect_err("no files");
    assert_eq!(
        error_lines(&errors),
        [format!(
            "no tenant config file matches TENANT_CONFIG_PATH_PATTERN {pattern:?}"
        )]
    );
}

#[test]
fn an_invalid_glob_is_an_error_naming_the_variable() {
    let errors = connector_host::config::load_tenants("/tmp/[", config_support::test_env)
        .expect_err("invalid glob");
    let line = errors.to_string();
    assert!(
        line.starts_with("TENANT_CONFIG_PATH_PATTERN: invalid glob \"/tmp/[\": "),
        "{line}"
    );
}

#[test]
fn broken_yaml_is_an_error_naming_the_file() {
    let dir = TenantDir::new();
    dir.write(ACME_FILE, "confluence:\n  baseUrl: [unclosed\n");
    let line = dir.load().expect_err("broken YAML").to_string();
    assert!(
        line.starts_with("acme-tenant-config.yaml: invalid YAML: "),
        "{line}"
    );
}
