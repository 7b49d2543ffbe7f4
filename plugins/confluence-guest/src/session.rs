//! The WIT `session` resource of a Confluence plugin: validated settings for one task, and the
//! four calls wired to the drivers with the host's HTTP and log imports.

use std::marker::PhantomData;

use confluence_core::config::Settings;
use confluence_core::content::FetchOutcome;
use confluence_core::selection::{Completeness, DiscoveredItem};
use connector_plugin_sdk::log;
use connector_plugin_sdk::source::{
    Discovery, FetchedPage, GuestSession, Session, SessionSettings, SourceError, SourceIdentity,
};

use crate::discovery::ConfluenceDiscovery;
use crate::wit_mapping;
use crate::{ConfluencePlugin, driver, notices, session_settings, source_error, transport};

/// One task's connection to a tenant's Confluence, for the plugin `P`.
pub struct ConfluenceSession<P> {
    settings: Settings,
    plugin: PhantomData<fn() -> P>,
}

impl<P: ConfluencePlugin> GuestSession for ConfluenceSession<P> {
    fn open(settings: SessionSettings) -> Result<Session, SourceError> {
        let settings = session_settings::settings_for(P::INSTANCE_TYPE, &settings)
            .map_err(|err| source_error::from_config(&err))?;
        Ok(Session::new(Self {
            settings,
            plugin: PhantomData,
        }))
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        driver::identify(&self.settings, transport::send).map(wit_mapping::source_identity)
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        let outcome = driver::discover(self.settings.clone(), transport::send)?;
        notices::log_warnings(&outcome.warnings);
        let pages = outcome
            .items
            .iter()
            .filter(|item| matches!(item, DiscoveredItem::Page(_)))
            .count();
        log::info(
            "discovery finished",
            &[
                log::plain("pages", pages),
                log::plain("attachments", outcome.items.len() - pages),
                log::plain("truncated", outcome.completeness == Completeness::Truncated),
            ],
        );
        Ok(Discovery::new(ConfluenceDiscovery::new(outcome)))
    }

    fn fetch_pages(&self, ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        let (pages, warnings) =
            driver::fetch_pages(self.settings.clone(), ids, transport::send_all)?;
        notices::log_warnings(&warnings);
        let found = pages
            .iter()
            .filter(|page| matches!(page.outcome, FetchOutcome::Found(_)))
            .count();
        log::info(
            "fetched pages",
            &[
                log::plain("found", found),
                log::plain("missing", pages.len() - found),
            ],
        );
        Ok(pages.into_iter().map(wit_mapping::fetched_page).collect())
    }
}
