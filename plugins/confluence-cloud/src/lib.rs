//! The `confluence-cloud` source plugin: pages, blog posts and attachments of a Confluence Cloud
//! site, selected by labels. All Confluence logic lives in `confluence-core`, the WIT glue in
//! `confluence-guest`; this crate names the plugin and the instance type it serves.

use confluence_guest::{ConfluenceDiscovery, ConfluencePlugin, ConfluenceSession, InstanceType};
use connector_plugin_sdk::source::{Guest, PluginInfo};

struct ConfluenceCloud;

impl ConfluencePlugin for ConfluenceCloud {
    const ID: &'static str = "confluence-cloud";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Confluence Cloud pages, blog posts and attachments selected by labels";
    const INSTANCE_TYPE: InstanceType = InstanceType::Cloud;
}

impl Guest for ConfluenceCloud {
    type Session = ConfluenceSession<Self>;
    type Discovery = ConfluenceDiscovery;

    fn describe() -> PluginInfo {
        confluence_guest::describe::<Self>()
    }
}

connector_plugin_sdk::export!(ConfluenceCloud);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_agrees_with_plugin_toml() {
        let mismatches = confluence_guest::manifest_mismatches(
            &ConfluenceCloud::describe(),
            include_str!("../plugin.toml"),
        );
        assert!(mismatches.is_empty(), "{mismatches:?}");
    }
}
