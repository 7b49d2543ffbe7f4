//! Content deletion against a loopback content store: G11 batches of 20 with counts, and the G8
//! `startsWith` delete loop with its no-progress guard (sync-flow.md §9–§11).

mod unique_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use connector_host::unique::{DeletionCount, UniqueError};
use serde_json::{Value, json};
use unique_support::{FakeService, Recorded, Reply, cluster_local_client};

/// How the store treats G11.
#[derive(Clone, Copy, PartialEq)]
enum DeleteBehaviour {
    /// Deletes and returns every id it holds.
    Deletes,
    /// Returns nothing and deletes nothing (the no-progress case).
    Ignores,
    /// Deletes all but ids ending in `7`, which it neither deletes nor returns.
    KeepsSevens,
}

/// A content store keyed by key, answering G8 `startsWith` (sorted by key), G9 and G11.
async fn content_store(keys: &[String], behaviour: DeleteBehaviour) -> FakeService {
    let store: Arc<Mutex<BTreeMap<String, String>>> = Arc::new(Mutex::new(
        keys.iter()
            .enumerate()
            .map(|(i, key)| (key.clone(), format!("id-{i}")))
            .collect(),
    ));
    FakeService::start(move |request: &Recorded| {
        let body = request.json();
        let variables = &body["variables"];
        let mut store = store.lock().expect("lock");
        match body["operationName"].as_str().expect("name") {
            "PaginatedContent" => {
                let prefix = variables["where"]["key"]["startsWith"]
                    .as_str()
                    .expect("prefix");
                let skip = variables["skip"].as_u64().expect("skip") as usize;
                let take = variables["take"].as_u64().expect("take") as usize;
                let nodes: Vec<Value> = store
                    .iter()
                    .filter(|(key, _)| key.starts_with(prefix))
                    .skip(skip)
                    .take(take)
                    .map(|(key, id)| json!({"id": id, "key": key}))
                    .collect();
                Reply::data(
                    "paginatedContent",
                    json!({"totalCount": nodes.len(), "nodes": nodes}),
                )
            }
            "ContentDeleteByContentIds" => {
                let ids: Vec<String> = variables["contentIds"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|id| id.as_str().expect("id").to_owned())
                    .collect();
                let deleted: Vec<Value> = ids
                    .iter()
                    .filter(|id| match behaviour {
                        DeleteBehaviour::Deletes => true,
                        DeleteBehaviour::Ignores => false,
                        DeleteBehaviour::KeepsSevens => !id.ends_with('7'),
                    })
                    .map(|id| {
                        store.retain(|_, stored| stored != id);
                        json!({"id": id})
                    })
                    .collect();
                Reply::data("contentDeleteByContentIds", json!(deleted))
            }
            "PaginatedContentCount" => {
                let prefix = variables["where"]["key"]["startsWith"]
                    .as_str()
                    .expect("prefix");
                let total = store.keys().filter(|key| key.starts_with(prefix)).count();
                Reply::data("paginatedContent", json!({"totalCount": total}))
            }
            other => panic!("unexpected operation {other}"),
        }
    })
    .await
}

fn keys(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}/{i:04}")).collect()
}

fn delete_batches(requests: &[Recorded]) -> Vec<usize> {
    requests
        .iter()
        .filter(|r| r.operation_name() == "ContentDeleteByContentIds")
        .map(|r| {
            r.json()["variables"]["contentIds"]
                .as_array()
                .expect("ids")
                .len()
        })
        .collect()
}

#[tokio::test]
async fn delete_contents_sends_batches_of_20_and_counts_returned_ids() {
    let all = keys("acme/1_ENG", 45);
    let service = content_store(&all, DeleteBehaviour::KeepsSevens).await;
    let (client, _) = cluster_local_client(&service);
    let ids: Vec<String> = (0..45).map(|i| format!("id-{i}")).collect();

    let count = client.delete_contents(&ids).await;

    // id-7, id-17, id-27, id-37 are not returned: deleted = returned ids.
    assert_eq!(
        count,
        DeletionCount {
            deleted: 41,
            failed: 4
        }
    );
    assert_eq!(delete_batches(&service.requests()), [20, 20, 5]);
    let first_batch = &service.requests()[0].json()["variables"]["contentIds"];
    assert_eq!(first_batch[0], "id-0");
    assert_eq!(first_batch[19], "id-19");
}

#[tokio::test]
async fn a_failed_batch_counts_as_failed_and_later_batches_are_still_sent() {
    let calls = Arc::new(Mutex::new(0));
    let service = FakeService::start(move |request| {
        let mut calls = calls.lock().expect("lock");
        *calls += 1;
        if *calls == 1 {
            return Reply::status(500);
        }
        let ids = request.json()["variables"]["contentIds"].clone();
        let deleted: Vec<Value> = ids
            .as_array()
            .expect("ids")
            .iter()
            .map(|id| json!({"id": id}))
            .collect();
        Reply::data("contentDeleteByContentIds", json!(deleted))
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let ids: Vec<String> = (0..30).map(|i| format!("id-{i}")).collect();
    let count = client.delete_contents(&ids).await;
    assert_eq!(
        count,
        DeletionCount {
            deleted: 10,
            failed: 20
        }
    );
    assert_eq!(delete_batches(&service.requests()), [20, 10]);
}

#[tokio::test]
async fn prefix_delete_repeats_with_skip_0_until_nothing_is_left() {
    let mut stored = keys("acme/1_ENG", 130);
    // Another space whose key merely starts with the same text must survive.
    stored.extend(keys("acme/1_ENGINEERING", 3));
    let service = content_store(&stored, DeleteBehaviour::Deletes).await;
    let (client, _) = cluster_local_client(&service);

    let count = client
        .delete_by_key_prefix("acme/1_ENG")
        .await
        .expect("deleted");
    assert_eq!(
        count,
        DeletionCount {
            deleted: 130,
            failed: 0
        }
    );

    let requests = service.requests();
    let queries: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.operation_name() == "PaginatedContent")
        .collect();
    assert_eq!(queries.len(), 3, "100, then 30, then empty");
    for query in &queries {
        assert_eq!(
            query.json()["variables"],
            json!({"skip": 0, "take": 100, "where": {"key": {"startsWith": "acme/1_ENG/"}}})
        );
    }
    assert_eq!(delete_batches(&requests), [20, 20, 20, 20, 20, 20, 10]);
    let survivors = client
        .count_by_key_prefix("acme/1_ENGINEERING")
        .await
        .expect("count");
    assert_eq!(survivors, 3);
    assert_eq!(
        client
            .count_by_key_prefix("acme/1_ENG")
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn prefix_delete_stops_when_the_same_ids_come_back() {
    let service = content_store(&keys("acme/1_ENG", 25), DeleteBehaviour::Ignores).await;
    let (client, _) = cluster_local_client(&service);

    let error = client
        .delete_by_key_prefix("acme/1_ENG")
        .await
        .expect_err("no progress");
    assert!(
        matches!(
            &error,
            UniqueError::DeletionNoProgress { key_prefix, stuck: 25, deleted_before: 25 }
                if key_prefix == "acme/1_ENG/"
        ),
        "{error:?}"
    );
    let requests = service.requests();
    let queries = requests
        .iter()
        .filter(|r| r.operation_name() == "PaginatedContent")
        .count();
    assert_eq!(queries, 2, "one round of deletes, then the guard");
    assert_eq!(delete_batches(&requests), [20, 5]);
}

#[tokio::test]
async fn owner_listing_feeds_batched_deletion() {
    let service = FakeService::start(|request| {
        let body = request.json();
        match body["operationName"].as_str().expect("name") {
            "PaginatedContent" => {
                let skip = body["variables"]["skip"].as_u64().expect("skip");
                let count = if skip == 0 { 100 } else { 3 };
                let nodes: Vec<Value> = (skip..skip + count)
                    .map(|i| json!({"id": format!("c{i}")}))
                    .collect();
                Reply::data(
                    "paginatedContent",
                    json!({"totalCount": 103, "nodes": nodes}),
                )
            }
            _ => {
                let ids = body["variables"]["contentIds"]
                    .as_array()
                    .expect("ids")
                    .clone();
                let deleted: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
                Reply::data("contentDeleteByContentIds", json!(deleted))
            }
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let ids = client
        .content_ids_by_owner("scope-child")
        .await
        .expect("ids");
    assert_eq!(ids.len(), 103);
    let count = client.delete_contents(&ids).await;
    assert_eq!(
        count,
        DeletionCount {
            deleted: 103,
            failed: 0
        }
    );
    assert_eq!(delete_batches(&service.requests()), [20, 20, 20, 20, 20, 3]);
}
