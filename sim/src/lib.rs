//! Simulators of Confluence Cloud/DC and Unique.
