//! The `confluence-data-center` source plugin: pages, blog posts and attachments of a Confluence
//! Data Center instance, selected by labels. All Confluence logic lives in `confluence-core`, the WIT glue in
//! `confluence-guest`; this crate names the plugin and the instance type it serves.

use confluence_guest::{ConfluenceDiscovery, ConfluencePlugin, ConfluenceSession, InstanceType};
use connector_plugin_sdk::source::{Guest, PluginInfo};

struct ConfluenceDataCenter;

impl ConfluencePlugin for ConfluenceDataCenter {
    const ID: &'static str = "confluence-data-center";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Confluence Data Center pages, blog posts and attachments selected by labels";
    const INSTANCE_TYPE: InstanceType = InstanceType::DataCenter;
}

impl Guest for ConfluenceDataCenter {
    type Session = ConfluenceSession<Self>;
    type Discovery = ConfluenceDiscovery;

    fn describe() -> PluginInfo {
        confluence_guest::describe::<Self>()
    }
}

connector_plugin_sdk::export!(ConfluenceDataCenter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_agrees_with_plugin_toml() {
        let mismatches = confluence_guest::manifest_mismatches(
            &ConfluenceDataCenter::describe(),
            include_str!("../plugin.toml"),
        );
        assert!(mismatches.is_empty(), "{mismatches:?}");
    }
}
