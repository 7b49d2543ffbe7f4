//! The GraphQL documents G1–G12 (unique-api.md §4), each with its operation name, root field,
//! target service and retry rule. The document text is normative; only whitespace is free.

use crate::retry::RetryPolicy;

/// Which Unique service a GraphQL operation goes to (and which limiter it draws from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphqlTarget {
    /// `{ingestionServiceBaseUrl}/graphql`: G2–G12.
    Ingestion,
    /// `{scopeManagementServiceBaseUrl}/graphql`: G1 only.
    ScopeManagement,
}

impl GraphqlTarget {
    /// The `target` metric label and the middle part of the `operation` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ingestion => "ingestion",
            Self::ScopeManagement => "scopeManagement",
        }
    }
}

/// One GraphQL operation: its document and how it is sent.
#[derive(Debug)]
pub(super) struct Operation {
    /// `operationName`, equal to the name in the document.
    pub name: &'static str,
    /// The field of `data` the result is read from.
    pub root_field: &'static str,
    pub document: &'static str,
    pub target: GraphqlTarget,
    /// `UNIQUE_GRAPHQL_READ` for G1, G3, G8, G9, G10 and G12; `NONE` for the other mutations.
    pub retry: RetryPolicy,
}

/// G1.
pub(super) const USER: Operation = Operation {
    name: "User",
    root_field: "me",
    document: "query User { me { user { id } } }",
    target: GraphqlTarget::ScopeManagement,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};

/// G2.
pub(super) const CREATE_SCOPE_ACCESSES: Operation = Operation {
    name: "CreateScopeAccesses",
    root_field: "createScopeAccesses",
    document: "mutation CreateScopeAccesses($scopeAccesses: [ScopeAccessChangeDto!]!, \
        $scopeId: String!, $applyToSubScopes: Boolean, $skipFileAccessPropagation: Boolean) { \
        createScopeAccesses(scopeAccesses: $scopeAccesses, scopeId: $scopeId, \
        applyToSubScopes: $applyToSubScopes, skipFileAccessPropagation: $skipFileAccessPropagation) }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G3.
pub(super) const PAGINATED_SCOPE: Operation = Operation {
    name: "PaginatedScope",
    root_field: "paginatedScope",
    document: "query PaginatedScope($skip: Int!, $take: Int!, $where: ScopeWhereInput!) { \
        paginatedScope(skip: $skip, take: $take, where: $where) { \
        totalCount nodes { id name parentId externalId } } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};

/// G4.
pub(super) const GENERATE_SCOPES_BASED_ON_PATHS: Operation = Operation {
    name: "GenerateScopesBasedOnPaths",
    root_field: "generateScopesBasedOnPaths",
    document: "mutation GenerateScopesBasedOnPaths($paths: [String!]!, $inheritAccess: Boolean) { \
        generateScopesBasedOnPaths(paths: $paths, inheritAccess: $inheritAccess) \
        { id name parentId externalId } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G5.
pub(super) const UPDATE_SCOPE: Operation = Operation {
    name: "UpdateScope",
    root_field: "updateScope",
    document: "mutation UpdateScope($id: String!, $input: ScopeUpdateInput!) { \
        updateScope(id: $id, input: $input) { id name externalId parentId } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G6.
pub(super) const DELETE_FOLDER: Operation = Operation {
    name: "DeleteFolder",
    root_field: "deleteFolder",
    document: "mutation DeleteFolder($scopeId: String!, $recursive: Boolean!) { \
        deleteFolder(scopeId: $scopeId, recursive: $recursive) { \
        failedFolders { id name failReason path } successFolders { id name path } } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G7.
pub(super) const BULK_MOVE: Operation = Operation {
    name: "BulkMove",
    root_field: "bulkMove",
    document: "mutation BulkMove($input: BulkMoveInput!) { \
        bulkMove(input: $input) { scopeIds asyncMetadataRebuild jobId affectedFiles message } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G8 (full selection).
pub(super) const PAGINATED_CONTENT: Operation = Operation {
    name: "PaginatedContent",
    root_field: "paginatedContent",
    document: "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) { \
        paginatedContent(skip: $skip, take: $take, where: $where) { \
        nodes { id fileAccess key ownerType ownerId metadata byteSize expiresAt ingestionState } \
        totalCount } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};

/// G9.
pub(super) const PAGINATED_CONTENT_COUNT: Operation = Operation {
    name: "PaginatedContentCount",
    root_field: "paginatedContent",
    document: "query PaginatedContentCount($where: ContentWhereInput) { \
        paginatedContent(where: $where, skip: 0, take: 0) { totalCount } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};

/// G10: G8's operation name and variables, ids only.
pub(super) const PAGINATED_CONTENT_IDS: Operation = Operation {
    name: "PaginatedContent",
    root_field: "paginatedContent",
    document: "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) { \
        paginatedContent(skip: $skip, take: $take, where: $where) { nodes { id } totalCount } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};

/// G11.
pub(super) const CONTENT_DELETE_BY_CONTENT_IDS: Operation = Operation {
    name: "ContentDeleteByContentIds",
    root_field: "contentDeleteByContentIds",
    document: "mutation ContentDeleteByContentIds($contentIds: [String!]!) { \
        contentDeleteByContentIds(contentIds: $contentIds) { id } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::NONE,
};

/// G12 (register and finalize). An upsert by key, so it is retried like a read.
pub(super) const CONTENT_UPSERT: Operation = Operation {
    name: "ContentUpsert",
    root_field: "contentUpsert",
    document: "mutation ContentUpsert($input: ContentCreateInput!, $fileUrl: String, \
        $chatId: String, $scopeId: String, $sourceOwnerType: String, $sourceName: String, \
        $sourceKind: String, $storeInternally: Boolean, $baseUrl: String) { \
        contentUpsert(input: $input, fileUrl: $fileUrl, chatId: $chatId, scopeId: $scopeId, \
        sourceOwnerType: $sourceOwnerType, sourceName: $sourceName, sourceKind: $sourceKind, \
        storeInternally: $storeInternally, baseUrl: $baseUrl) { \
        id key title byteSize mimeType ownerType ownerId writeUrl readUrl createdAt \
        internallyStoredAt source { kind name } } }",
    target: GraphqlTarget::Ingestion,
    retry: RetryPolicy::UNIQUE_GRAPHQL_READ,
};
