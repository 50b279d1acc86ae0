using System.Text.Json.Nodes;
using BindingServer.CloudFoundry;
using BindingServer.Kubernetes.Api;
using BindingServer.Kubernetes.Authorization;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Hosting;

/// <summary>
/// Test fixtures in and out: Kubernetes manifests (YAML or JSON, several documents, <c>List</c>s) and Cloud Foundry
/// fixture documents (see <see cref="CfFixtures"/>) are loaded in one store transaction, each object checked as its
/// create endpoint checks it; the current state is exported in the same forms, so an export loads back.
/// </summary>
public sealed class Fixtures(ResourceRegistry registry, ResourceCatalog catalog, ObjectStore store, CfStore cf)
{
    /// <summary>The field manager recorded in the managedFields of loaded objects.</summary>
    public const string FieldManager = "bindingserver-fixtures";

    /// <summary>Server-assigned metadata an export leaves out, so the manifests load anywhere as new objects.</summary>
    private static readonly string[] AssignedMetadata = ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"];

    /// <summary>One named source of fixture text: a file, or a request body.</summary>
    public sealed record Source(string Name, byte[] Content);

    public sealed record Outcome(IReadOnlyList<string> Created, IReadOnlyList<string> Existing, long Revision)
    {
        public JsonObject ToJson() => new()
        {
            ["created"] = new JsonArray(Created.Select(c => (JsonNode)c).ToArray()),
            ["existing"] = new JsonArray(Existing.Select(c => (JsonNode)c).ToArray()),
            ["revision"] = Revision,
        };
    }

    /// <summary>
    /// Loads every document of the sources in one transaction. Objects and records that exist already are left as they
    /// are and reported as existing. Throws <see cref="FixtureException"/> for documents it cannot read and
    /// <see cref="FixtureRefusedException"/> for objects the apiserver would refuse; either way nothing is written.
    /// </summary>
    public async Task<Outcome> LoadAsync(IReadOnlyList<Source> sources, CancellationToken cancellationToken)
    {
        var kubernetes = new List<(ResourceDefinition, KubeObject)>();
        var places = new List<string>();
        var cloudFoundry = new List<JsonObject>();
        foreach (var source in sources)
        {
            IReadOnlyList<JsonNode?> documents;
            try
            {
                documents = YamlConversion.ToJsonDocuments(source.Content);
            }
            catch (KubeApiException error)
            {
                throw new FixtureException($"{source.Name}: {error.Status.Message}");
            }

            for (var i = 0; i < documents.Count; i++)
            {
                var at = $"{source.Name} document {i + 1}";
                switch (documents[i])
                {
                    case null:
                    case JsonObject { Count: 0 }:
                        break;
                    case JsonObject document when document.ContainsKey("kind") || document.ContainsKey("apiVersion"):
                        AddKubernetes(document, at, kubernetes, places);
                        break;
                    case JsonObject document when CfFixtures.IsDocument(document):
                        cloudFoundry.Add(document);
                        break;
                    default:
                        throw new FixtureException(
                            $"{at}: neither a Kubernetes object (apiVersion and kind) nor a Cloud Foundry fixture (keys {string.Join(", ", CfFixtures.Collections)})");
                }
            }
        }

        var now = cf.Now;
        var cfCreated = new List<string>();
        var cfExisting = new List<string>();
        IReadOnlyList<(ResourceDefinition Definition, KubeObject Object, bool Created)> results;
        try
        {
            results = await registry.CreateManyAsync(kubernetes, FieldManager, cancellationToken, cloudFoundry.Count == 0
                ? null
                : (snapshot, firstRevision) =>
                {
                    cfCreated.Clear();
                    cfExisting.Clear();
                    return CfFixtures.Plan(cloudFoundry, snapshot, firstRevision, now, cfCreated, cfExisting);
                });
        }
        catch (KubeApiException error) when (error.Data[ResourceRegistry.BatchIndex] is int index)
        {
            throw new FixtureRefusedException(places[index], error);
        }

        string Name(ResourceDefinition definition, KubeObject obj) => definition.Namespaced
            ? $"{definition.Kind}/{obj.Metadata.Namespace}/{obj.Metadata.Name}"
            : $"{definition.Kind}/{obj.Metadata.Name}";

        return new Outcome(
            results.Where(r => r.Created).Select(r => Name(r.Definition, r.Object)).Concat(cfCreated).ToList(),
            results.Where(r => !r.Created).Select(r => Name(r.Definition, r.Object)).Concat(cfExisting).ToList(),
            store.Current.Revision);
    }

    /// <summary>Decodes one manifest (or each item of a List) as its create endpoint would, strictly, with defaults.</summary>
    private void AddKubernetes(JsonObject document, string at, List<(ResourceDefinition, KubeObject)> batch, List<string> places)
    {
        var apiVersion = document["apiVersion"]?.ToString() ?? "";
        var kind = document["kind"]?.ToString() ?? "";
        if (kind.EndsWith("List", StringComparison.Ordinal) && document["items"] is JsonArray items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is not JsonObject item)
                {
                    throw new FixtureException($"{at} item {i + 1}: each item must be an object");
                }

                AddKubernetes(item, $"{at} item {i + 1}", batch, places);
            }

            return;
        }

        var definition = catalog.Definitions.FirstOrDefault(d => d.ApiVersion == apiVersion && d.Kind == kind)
            ?? throw new FixtureException(apiVersion.StartsWith("authorization.openshift.io/", StringComparison.Ordinal)
                ? $"{at}: OpenShift's {kind} is a view of RBAC; load it as rbac.authorization.k8s.io/v1 {kind}"
                : $"{at}: no kind \"{kind}\" in \"{apiVersion}\" is served here");
        KubeObject obj;
        try
        {
            // Reparsed, so that numbers read from YAML look as they do in a JSON body.
            obj = BodyDecoder.DecodeObject(definition, JsonNode.Parse(document.ToJsonString())!.AsObject(), FieldValidation.Strict, [], [], strictAsPatch: false);
        }
        catch (KubeApiException error)
        {
            throw new FixtureException($"{at}: {error.Status.Message}");
        }

        definition.Strategy.ApplyDefaults(obj);
        obj.Metadata.Namespace = definition.Namespaced ? string.IsNullOrEmpty(obj.Metadata.Namespace) ? "default" : obj.Metadata.Namespace : null;
        batch.Add((definition, obj));
        places.Add(at);
    }

    /// <summary>
    /// The Kubernetes objects as manifests, namespaces first, without the metadata the server assigns and without the
    /// default RBAC policy, which every server has already.
    /// </summary>
    public IEnumerable<JsonNode> ExportKubernetes(Snapshot snapshot) =>
        catalog.Definitions
            .OrderBy(d => d == catalog.Namespaces ? 0 : 1)
            .SelectMany(definition => snapshot.List(definition.KeyPrefix, definition.KeyPrefix)
                .Select(entry => ObjectCodec.Decode(definition, entry.Body))
                .Where(obj => obj.Metadata.DeletionTimestamp is null && !BootstrapPolicy.IsBootstrapObject(obj))
                .Select(obj =>
                {
                    var node = KubeJson.ToNode(obj);
                    var metadata = node["metadata"]!.AsObject();
                    foreach (var field in AssignedMetadata)
                    {
                        metadata.Remove(field);
                    }

                    return (JsonNode)node;
                }));
}

/// <summary>A fixture that cannot be loaded; the message names the source, document or record, and the reason.</summary>
public sealed class FixtureException(string message) : Exception(message);

/// <summary>A fixture object the apiserver would refuse: where it is, and the apiserver's Status.</summary>
public sealed class FixtureRefusedException(string place, KubeApiException refusal)
    : Exception($"{place}: {refusal.Status.Message}", refusal)
{
    public Status Status => refusal.Status;
}
