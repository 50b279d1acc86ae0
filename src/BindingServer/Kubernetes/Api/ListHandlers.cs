using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BindingServer.Kubernetes.Errors;
using BindingServer.Kubernetes.Json;
using BindingServer.Kubernetes.Model;
using BindingServer.Storage;

namespace BindingServer.Kubernetes.Api;

/// <summary>List (with selectors, paging and historical revisions) and watch, generic over kinds.</summary>
public sealed class ListHandlers(ObjectStore store, TimeProvider clock, ILogger<ListHandlers> logger, IHostApplicationLifetime lifetime)
{
    /// <summary>The apiserver's 410 text for a continue token whose revision has been compacted away.</summary>
    public const string ContinueTooOld =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>
    /// The one event of a watch from a revision the store no longer has: a 410 Expired Status in an ERROR event, on a
    /// stream that has already answered 200, as the watch cache sends it.
    /// </summary>
    public static Task WriteTooOldAsync(HttpResponse response, string requested, long oldest, CancellationToken cancellationToken)
    {
        var status = StatusErrors.Expired($"too old resource version: {requested} ({oldest})").Status;
        var line = new JsonObject { ["type"] = "ERROR", ["object"] = KubeJson.ToNode(status) }.ToJsonString(KubeJson.Options) + "\n";
        return response.WriteAsync(line, cancellationToken);
    }

    /// <summary>How often an idle watch that allows bookmarks is sent one.</summary>
    private static readonly TimeSpan BookmarkInterval = TimeSpan.FromSeconds(60);

    /// <summary>How long a watch's last event may take to write once the server is stopping.</summary>
    private static readonly TimeSpan WriteGraceWhenStopping = TimeSpan.FromSeconds(2);

    public static string ScopePrefix(ResourceDefinition definition, string? ns) =>
        definition.Namespaced && !string.IsNullOrEmpty(ns) ? $"{definition.KeyPrefix}{ns}/" : definition.KeyPrefix;

    public static string IncludeObject(HttpRequest request)
    {
        var value = request.Query["includeObject"].ToString();
        return value switch
        {
            "" => "Metadata",
            "None" or "Metadata" or "Object" => value,
            _ => throw StatusErrors.BadRequest(
                $"Unable to convert to Table as requested: includeObject: Invalid value: \"{value}\": must be 'Metadata', 'Object', 'None', or empty"),
        };
    }

    public static JsonObject PartialMetadata(KubeObject obj, string version) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = $"meta.k8s.io/{version}",
        ["metadata"] = KubeJson.ToNode(obj.Metadata),
    };

    public async Task ListAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        var options = ListOptions.Parse(context.Request, definition);
        var output = KubeHttp.Negotiate(context.Request);
        if (options.Watch)
        {
            await WatchAsync(context, definition, ns, options, output);
            return;
        }

        var (items, listMeta) = await PageAsync(definition, ns, options, decode: options.HasSelectors || output.Form != OutputForm.Object,
            context.RequestAborted);

        switch (output.Form)
        {
            case OutputForm.Table:
                await KubeHttp.WriteNodeAsync(context, 200, definition.Strategy.Table.Render(items.Select(i => i.Object!), listMeta,
                    output.MetaVersion, IncludeObject(context.Request), true, clock.GetUtcNow()));
                return;
            case OutputForm.PartialObjectMetadataList:
                await KubeHttp.WriteNodeAsync(context, 200, new JsonObject
                {
                    ["kind"] = "PartialObjectMetadataList",
                    ["apiVersion"] = $"meta.k8s.io/{output.MetaVersion}",
                    ["metadata"] = KubeJson.ToNode(listMeta),
                    ["items"] = new JsonArray(items.Select(i => (JsonNode)PartialMetadata(i.Object!, output.MetaVersion)).ToArray()),
                });
                return;
            case OutputForm.PartialObjectMetadata:
                throw StatusErrors.NotAcceptable($"you requested PartialObjectMetadata, but the requested object is a list (*v1.{definition.ListKind})");
        }

        // Items are written straight from their stored bytes; only the envelope is built here.
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", definition.ListKind);
            writer.WriteString("apiVersion", definition.ApiVersion);
            writer.WritePropertyName("metadata");
            JsonSerializer.Serialize(writer, listMeta, KubeJson.Options);
            writer.WriteStartArray("items");
            foreach (var (entry, _) in items)
            {
                writer.WriteRawValue(entry.Body, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await KubeHttp.WriteJsonAsync(context, 200, buffer.ToArray());
    }

    /// <summary>
    /// One page of a list: the objects in scope that match, at the list's revision, with the continue token and
    /// remaining count the apiserver would give. Objects are decoded only when <paramref name="decode"/> asks for it.
    /// </summary>
    public async Task<(List<(StoredEntry Entry, KubeObject? Object)> Items, ListMeta Meta)> PageAsync(ResourceDefinition definition, string? ns,
        ListOptions options, bool decode, CancellationToken cancellationToken)
    {
        var (inScope, revision) = await ReadListAsync(definition, ScopePrefix(definition, ns), options, cancellationToken);
        var limit = options.ResourceVersion == "0" && options.Continue is null ? null : options.Limit;
        var items = new List<(StoredEntry Entry, KubeObject? Object)>();
        string? next = null;
        long? remaining = null;
        decode |= options.HasSelectors;
        for (var i = 0; i < inScope.Count; i++)
        {
            var obj = decode ? ObjectCodec.Decode(definition, inScope[i].Body) : null;
            if (obj is null || options.Matches(definition, obj))
            {
                items.Add((inScope[i], obj));
            }

            if (limit is not null && items.Count == limit && i + 1 < inScope.Count)
            {
                next = inScope[i + 1].Key;
                remaining = options.HasSelectors ? null : inScope.Count - i - 1;
                break;
            }
        }

        var listMeta = new ListMeta
        {
            ResourceVersion = revision.ToString(CultureInfo.InvariantCulture),
            Continue = next is null ? null : new ContinueToken(revision, next[definition.KeyPrefix.Length..]).Encode(),
            RemainingItemCount = remaining,
        };
        return (items, listMeta);
    }

    /// <summary>
    /// The objects in scope a list reads, from the key a continue token names, and the revision it reads at. At the
    /// current revision they come straight from the snapshot's key order; at a past one, rebuilt from the log.
    /// </summary>
    private async Task<(IReadOnlyList<StoredEntry> InScope, long Revision)> ReadListAsync(ResourceDefinition definition, string scope,
        ListOptions options, CancellationToken cancellationToken)
    {
        if (options.Continue is not null)
        {
            var token = ContinueToken.Decode(options.Continue);
            var start = definition.KeyPrefix + token.Start;
            var current = store.Current;
            if (current.Revision == token.ResourceVersion)
            {
                return (current.Range(definition.KeyPrefix, scope, start), token.ResourceVersion);
            }

            var entries = await store.ListAtAsync(definition.KeyPrefix, token.ResourceVersion, cancellationToken)
                ?? throw StatusErrors.Expired(ContinueTooOld);
            return (InScope(entries, scope, start), token.ResourceVersion);
        }

        var snapshot = store.Current;
        if (options.ResourceVersion is { Length: > 0 } text && text != "0")
        {
            var requested = long.Parse(text, CultureInfo.InvariantCulture);
            if (requested > snapshot.Revision)
            {
                throw StatusErrors.Timeout($"Too large resource version: {requested}, current: {snapshot.Revision}",
                    new StatusCause { Reason = "ResourceVersionTooLarge", Message = "Too large resource version" });
            }

            if (options.ResourceVersionMatch == "Exact" && requested != snapshot.Revision)
            {
                var entries = await store.ListAtAsync(definition.KeyPrefix, requested, cancellationToken)
                    ?? throw StatusErrors.Expired("The resourceVersion for the provided list is too old.");
                return (InScope(entries, scope, ""), requested);
            }
        }

        return (snapshot.Range(definition.KeyPrefix, scope, scope), snapshot.Revision);
    }

    private static List<StoredEntry> InScope(IEnumerable<StoredEntry> entries, string scope, string start) =>
        entries.Where(e => e.Key.StartsWith(scope, StringComparison.Ordinal) && string.CompareOrdinal(e.Key, start) >= 0).ToList();

    private async Task WatchAsync(HttpContext context, ResourceDefinition definition, string? ns, ListOptions options, Output output)
    {
        var scope = ScopePrefix(definition, ns);
        var fromNow = options.SendInitialEvents == true || string.IsNullOrEmpty(options.ResourceVersion) || options.ResourceVersion == "0";
        var afterRevision = fromNow ? 0 : long.Parse(options.ResourceVersion!, CultureInfo.InvariantCulture);
        var feed = fromNow
            ? await store.FollowFromNowAsync(context.RequestAborted, bounded: true)
            : await store.FollowAsync(afterRevision, context.RequestAborted, bounded: true);

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = KubeHttp.Json;
        response.Headers.CacheControl = "no-cache, private";
        var writer = new WatchWriter(response, definition, output, clock, IncludeObject(context.Request))
        {
            // An injected fault (see FaultInjection) may cut the stream short after some events.
            EventsLeft = context.Items.TryGetValue(Hosting.FaultInjection.WatchEventLimit, out var limit) ? (int)limit! : int.MaxValue,
        };

        if (feed is null)
        {
            await WriteTooOldAsync(response, afterRevision.ToString(CultureInfo.InvariantCulture), store.CompactedRevision + 1, context.RequestAborted);
            return;
        }

        using var subscription = feed;
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds ?? (long)(1800 * (1 + Random.Shared.NextDouble())));
        // A watch ends at its timeout, when the client goes, or when the server is stopping: its stream then ends cleanly
        // and the client watches again, instead of holding shutdown open until the host gives up on it.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        ending.CancelAfter(timeout);
        var token = ending.Token;

        // Events are written whole: stopping or the timeout ends the watch between events, never inside one, where a
        // cancelled write would cut the chunked stream and the client would see its connection reset. A write to a
        // client that reads nothing is given up a moment after stopping begins, so it cannot hold shutdown.
        using var writeLimit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var onStopping = lifetime.ApplicationStopping.Register(() => writeLimit.CancelAfter(WriteGraceWhenStopping));
        var writing = writeLimit.Token;
        var lastRevision = fromNow ? feed.Start.Revision : afterRevision;

        try
        {
            // Flushing sends the headers now, so a client waiting for them is not held until the first event.
            await response.StartAsync(token);
            await response.Body.FlushAsync(token);
            if (writer.EventsLeft <= 0)
            {
                return;
            }

            if (fromNow && options.SendInitialEvents != false)
            {
                foreach (var entry in feed.Start.List(definition.KeyPrefix, scope))
                {
                    var obj = ObjectCodec.Decode(definition, entry.Body);
                    if (token.IsCancellationRequested)
                    {
                        return;
                    }

                    if (options.Matches(definition, obj))
                    {
                        await writer.WriteAsync("ADDED", obj, writing);
                        if (writer.EventsLeft <= 0)
                        {
                            return;
                        }
                    }
                }

                if (options.SendInitialEvents == true && options.AllowWatchBookmarks)
                {
                    await writer.WriteBookmarkAsync(lastRevision, initialEventsEnd: true, writing);
                }
            }

            foreach (var change in feed.Backlog)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                lastRevision = await DeliverAsync(writer, definition, scope, options, change, writing) ?? lastRevision;
                if (writer.EventsLeft <= 0)
                {
                    return;
                }
            }

            while (!token.IsCancellationRequested && writer.EventsLeft > 0)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                if (options.AllowWatchBookmarks)
                {
                    idle.CancelAfter(BookmarkInterval);
                }

                StoreChange change;
                try
                {
                    change = await feed.Live.ReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    await writer.WriteBookmarkAsync(Math.Max(lastRevision, store.Current.Revision), initialEventsEnd: false, writing);
                    continue;
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    return;
                }

                if (change.Revision <= lastRevision)
                {
                    continue;
                }

                lastRevision = await DeliverAsync(writer, definition, scope, options, change, writing) ?? change.Revision;
            }
        }
        catch (OperationCanceledException)
        {
            logger.LogDebug("watch on {Resource} ended", definition.Plural);
        }
    }

    /// <summary>Sends one change if it concerns this watch, turning selector transitions into ADDED/DELETED like the watch cache.</summary>
    private static async Task<long?> DeliverAsync(WatchWriter writer, ResourceDefinition definition, string scope, ListOptions options,
        StoreChange change, CancellationToken cancellationToken)
    {
        if (!change.Key.StartsWith(scope, StringComparison.Ordinal))
        {
            return null;
        }

        var obj = ObjectCodec.Decode(definition, change.Body);
        var matchesNow = options.Matches(definition, obj);
        var matchedBefore = change.Previous is not null && options.Matches(definition, ObjectCodec.Decode(definition, change.Previous));
        var type = change.Type switch
        {
            ChangeType.Added => matchesNow ? "ADDED" : null,
            ChangeType.Deleted => matchesNow || matchedBefore ? "DELETED" : null,
            _ when change.Previous is null => matchesNow ? "MODIFIED" : null,
            _ => (matchedBefore, matchesNow) switch
            {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                _ => null,
            },
        };
        if (type is not null)
        {
            await writer.WriteAsync(type, obj, cancellationToken);
        }

        return change.Revision;
    }

    /// <summary>Writes watch events as newline-delimited JSON, as Tables with one row when kubectl asks for them.</summary>
    private sealed class WatchWriter(HttpResponse response, ResourceDefinition definition, Output output, TimeProvider clock, string includeObject)
    {
        private bool _headersSent;

        /// <summary>How many more object events the stream may carry before it is closed.</summary>
        public int EventsLeft { get; set; } = int.MaxValue;

        public Task WriteAsync(string type, KubeObject obj, CancellationToken cancellationToken)
        {
            EventsLeft--;
            JsonNode node = output.Form == OutputForm.Table
                ? definition.Strategy.Table.Render([obj], new ListMeta { ResourceVersion = obj.Metadata.ResourceVersion },
                    output.MetaVersion, includeObject, !_headersSent, clock.GetUtcNow())
                : output.Form is OutputForm.PartialObjectMetadata or OutputForm.PartialObjectMetadataList
                    ? PartialMetadata(obj, output.MetaVersion)
                    : KubeJson.ToNode(obj);
            _headersSent = true;
            return WriteRawAsync(type, node, cancellationToken);
        }

        public Task WriteBookmarkAsync(long revision, bool initialEventsEnd, CancellationToken cancellationToken)
        {
            var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture), ["creationTimestamp"] = null };
            if (initialEventsEnd)
            {
                metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            return WriteRawAsync("BOOKMARK", new JsonObject
            {
                ["kind"] = definition.Kind,
                ["apiVersion"] = definition.ApiVersion,
                ["metadata"] = metadata,
            }, cancellationToken);
        }

        public async Task WriteRawAsync(string type, JsonNode node, CancellationToken cancellationToken)
        {
            var line = new JsonObject { ["type"] = type, ["object"] = node }.ToJsonString(KubeJson.Options) + "\n";
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}
