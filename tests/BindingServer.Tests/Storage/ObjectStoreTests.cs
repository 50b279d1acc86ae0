using System.Text;
using BindingServer.Storage;
using Microsoft.Extensions.Options;

namespace BindingServer.Tests.Storage;

/// <summary>The revisioned store on its own: revisions, transactions, history, compaction and durability.</summary>
[Trait("Category", "Fast")]
public sealed class ObjectStoreTests : IDisposable
{
    private const string Prefix = "/test/things/";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bindingserver-store-" + Guid.NewGuid().ToString("N"));

    private ObjectStore Open(bool inMemory = false, int watchBufferSize = 10_000, int quotaMegabytes = 0) =>
        new(Options.Create(new StoreOptions { InMemory = inMemory, DataPath = _folder, RetainedRevisions = 10, WatchBufferSize = watchBufferSize, QuotaMegabytes = quotaMegabytes }),
            new StoreKeyResolver([Prefix]));

    private static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);

    private static Task<StoreChange?> PutAsync(ObjectStore store, string name, string body) =>
        store.MutateAsync(Prefix + name, (_, _) => new Mutation.Put(Body(body)), dryRun: false, CancellationToken.None);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Every_write_takes_the_next_global_revision()
    {
        await using var store = Open(inMemory: true);
        var start = store.Current.Revision;

        var a = await PutAsync(store, "a", "{}");
        var b = await PutAsync(store, "b", "{}");
        var a2 = await PutAsync(store, "a", """{"x":1}""");

        Assert.Equal([start + 1, start + 2, start + 3], new[] { a!.Revision, b!.Revision, a2!.Revision });
        Assert.Equal(ChangeType.Modified, a2.Type);
        Assert.Equal(start + 3, store.Current.Revision);
    }

    [Fact]
    public async Task A_decision_that_throws_writes_nothing()
    {
        await using var store = Open(inMemory: true);
        var before = store.Current.Revision;

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.MutateAsync(Prefix + "x", (_, _) => throw new InvalidOperationException("refused"), false, CancellationToken.None));

        Assert.Equal(before, store.Current.Revision);
        Assert.Null(store.Current.Get(Prefix, Prefix + "x"));
    }

    [Fact]
    public async Task Several_keys_commit_together_with_consecutive_revisions_and_survive_a_restart()
    {
        long revision;
        await using (var store = Open())
        {
            await PutAsync(store, "old", "{}");
            var start = store.Current.Revision;
            var changes = await store.MutateManyAsync(_ =>
                [(Prefix + "new", new Mutation.Put(Body("""{"n":1}"""))), (Prefix + "old", new Mutation.Delete(Body("{}"))), (Prefix + "absent", new Mutation.Delete(Body("{}")))],
                CancellationToken.None);

            Assert.Equal([(start + 1, ChangeType.Added), (start + 2, ChangeType.Deleted)], changes.Select(c => (c.Revision, c.Type)));
            Assert.Equal(start + 2, store.Current.Revision);
            revision = store.Current.Revision;
        }

        await using var reopened = Open();
        Assert.Equal(revision, reopened.Current.Revision);
        Assert.NotNull(reopened.Current.Get(Prefix, Prefix + "new"));
        Assert.Null(reopened.Current.Get(Prefix, Prefix + "old"));
    }

    [Fact]
    public async Task Several_keys_whose_decision_throws_write_nothing()
    {
        await using var store = Open(inMemory: true);
        await PutAsync(store, "kept", "{}");
        var before = store.Current.Revision;

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.MutateManyAsync(
            _ => throw new InvalidOperationException("refused"), CancellationToken.None));

        Assert.Equal(before, store.Current.Revision);
        Assert.NotNull(store.Current.Get(Prefix, Prefix + "kept"));
    }

    [Fact]
    public async Task Dry_runs_compute_the_change_without_committing_it()
    {
        await using var store = Open(inMemory: true);
        var change = await store.MutateAsync(Prefix + "dry", (_, _) => new Mutation.Put(Body("{}")), dryRun: true, CancellationToken.None);

        Assert.NotNull(change);
        Assert.Null(store.Current.Get(Prefix, Prefix + "dry"));
    }

    [Fact]
    public async Task Concurrent_increments_lose_no_update()
    {
        await using var store = Open(inMemory: true);
        await PutAsync(store, "counter", "0");

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() =>
            store.MutateAsync(Prefix + "counter", (current, _) =>
                new Mutation.Put(Body((int.Parse(Encoding.UTF8.GetString(current!.Body)) + 1).ToString())), false, CancellationToken.None))));

        Assert.Equal("200", Encoding.UTF8.GetString(store.Current.Get(Prefix, Prefix + "counter")!.Body));
    }

    [Fact]
    public async Task Concurrent_writes_commit_in_batches_yet_each_has_its_revision_and_watchers_see_them_in_order()
    {
        await using var store = Open();
        var start = store.Current.Revision;
        using var feed = await store.FollowFromNowAsync(CancellationToken.None);

        // The first write is queued first and holds the writer while it decides, so the 100 queued behind it commit as batches.
        var gate = new TaskCompletionSource();
        var first = store.MutateAsync(Prefix + "first", (_, _) =>
        {
            gate.Task.Wait();
            return new Mutation.Put(Body("{}"));
        }, false, CancellationToken.None);
        var rest = Enumerable.Range(0, 100).Select(i => PutAsync(store, $"k{i}", "{}")).ToList();
        gate.SetResult();
        var changes = (await Task.WhenAll(rest.Prepend(first))).Select(c => c!).ToList();

        Assert.Equal(Enumerable.Range(1, 101).Select(i => start + i), changes.Select(c => c.Revision).Order());
        Assert.Equal(start + 101, store.Current.Revision);
        var published = new List<long>();
        while (published.Count < 101 && await feed.Live.WaitToReadAsync())
        {
            while (feed.Live.TryRead(out var change))
            {
                published.Add(change.Revision);
            }
        }

        Assert.Equal(Enumerable.Range(1, 101).Select(i => start + i), published);
    }

    [Fact]
    public async Task In_a_batch_a_write_whose_decision_throws_fails_alone()
    {
        await using var store = Open(inMemory: true);
        var gate = new TaskCompletionSource();
        var holder = store.MutateAsync(Prefix + "holder", (_, _) =>
        {
            gate.Task.Wait();
            return new Mutation.Put(Body("{}"));
        }, false, CancellationToken.None);
        var good = PutAsync(store, "good", "{}");
        var bad = store.MutateAsync(Prefix + "bad", (_, _) => throw new InvalidOperationException("refused"), false, CancellationToken.None);
        var after = PutAsync(store, "after", "{}");
        gate.SetResult();

        await holder;
        Assert.NotNull(await good);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal((await good)!.Revision + 1, (await after)!.Revision);
        Assert.Null(store.Current.Get(Prefix, Prefix + "bad"));
    }

    [Fact]
    public async Task A_range_reads_one_scope_from_a_start_key_in_key_order()
    {
        await using var store = Open(inMemory: true);
        foreach (var key in new[] { "b/2", "a/1", "b/1", "c/1", "b/3", "ba/1" })
        {
            await PutAsync(store, key, "{}");
        }

        var snapshot = store.Current;
        Assert.Equal(["b/1", "b/2", "b/3"], snapshot.Range(Prefix, Prefix + "b/", Prefix + "b/").Select(e => e.Key[Prefix.Length..]));
        Assert.Equal(["b/2", "b/3"], snapshot.Range(Prefix, Prefix + "b/", Prefix + "b/2").Select(e => e.Key[Prefix.Length..]));
        Assert.Equal(6, snapshot.Range(Prefix, Prefix, Prefix).Count);
        Assert.Empty(snapshot.Range(Prefix, Prefix + "d/", Prefix + "d/"));
        Assert.Equal(["b/1", "b/2", "b/3"], snapshot.List(Prefix, Prefix + "b/").Select(e => e.Key[Prefix.Length..]));
    }

    [Fact]
    public async Task State_and_revision_survive_a_restart_of_a_file_store()
    {
        long revision;
        await using (var store = Open())
        {
            await PutAsync(store, "kept", """{"v":1}""");
            await PutAsync(store, "gone", """{"v":2}""");
            await store.MutateAsync(Prefix + "gone", (_, _) => new Mutation.Delete(Body("{}")), false, CancellationToken.None);
            revision = store.Current.Revision;
        }

        await using var reopened = Open();
        Assert.Equal(revision, reopened.Current.Revision);
        Assert.Equal("""{"v":1}""", Encoding.UTF8.GetString(reopened.Current.Get(Prefix, Prefix + "kept")!.Body));
        Assert.Null(reopened.Current.Get(Prefix, Prefix + "gone"));
        Assert.Equal(revision + 1, (await PutAsync(reopened, "next", "{}"))!.Revision);
    }

    [Fact]
    public async Task Lists_at_a_past_revision_are_rebuilt_from_the_log()
    {
        await using var store = Open(inMemory: true);
        await PutAsync(store, "a", "1");
        await PutAsync(store, "b", "1");
        var past = store.Current.Revision;
        await PutAsync(store, "a", "2");
        await store.MutateAsync(Prefix + "b", (_, _) => new Mutation.Delete(Body("1")), false, CancellationToken.None);
        await PutAsync(store, "c", "1");

        var then = await store.ListAtAsync(Prefix, past, CancellationToken.None);

        Assert.Equal(["a=1", "b=1"], then!.Select(e => $"{e.Key[Prefix.Length..]}={Encoding.UTF8.GetString(e.Body)}"));
    }

    [Fact]
    public async Task Compaction_expires_old_revisions_but_keeps_live_objects_listable()
    {
        await using var store = Open(inMemory: true);
        await PutAsync(store, "old", "1");
        var early = store.Current.Revision;
        for (var i = 0; i < 5; i++)
        {
            await PutAsync(store, "busy", i.ToString());
        }

        var late = store.Current.Revision;
        await store.CompactAsync(late - 1, CancellationToken.None);

        Assert.Null(await store.ListAtAsync(Prefix, early, CancellationToken.None));
        Assert.Null(await store.FollowAsync(early, CancellationToken.None));
        var atLate = await store.ListAtAsync(Prefix, late - 1, CancellationToken.None);
        Assert.Equal(["busy", "old"], atLate!.Select(e => e.Key[Prefix.Length..]));
    }

    [Fact]
    public async Task Successive_compactions_keep_every_later_revision_listable_as_it_was()
    {
        await using var store = Open(inMemory: true);
        var states = new Dictionary<long, string[]>();
        void Remember() => states[store.Current.Revision] = store.Current.List(Prefix, Prefix).Select(e => $"{e.Key[Prefix.Length..]}={Encoding.UTF8.GetString(e.Body)}").ToArray();
        foreach (var round in Enumerable.Range(0, 3))
        {
            for (var i = 0; i < 6; i++)
            {
                await PutAsync(store, $"k{(i + round) % 4}", $"{round}.{i}");
                Remember();
            }

            await store.MutateAsync(Prefix + $"k{round}", (current, _) => current is null ? Mutation.None : new Mutation.Delete(current.Body), false, CancellationToken.None);
            Remember();
            await store.CompactAsync(store.Current.Revision - 3, CancellationToken.None);
        }

        foreach (var (revision, expected) in states.Where(s => s.Key >= store.CompactedRevision))
        {
            var listed = await store.ListAtAsync(Prefix, revision, CancellationToken.None);
            Assert.Equal(expected, listed!.Select(e => $"{e.Key[Prefix.Length..]}={Encoding.UTF8.GetString(e.Body)}"));
        }
    }

    [Fact]
    public async Task A_client_watch_that_falls_too_far_behind_is_ended_while_the_servers_own_followers_are_not()
    {
        await using var store = Open(inMemory: true, watchBufferSize: 5);
        using var client = await store.FollowFromNowAsync(CancellationToken.None, bounded: true);
        using var controller = await store.FollowFromNowAsync(CancellationToken.None);

        for (var i = 0; i < 8; i++)
        {
            await PutAsync(store, $"k{i}", "{}");
        }

        // The client's watch got what fitted, then its channel was closed; the controller's feed holds every change.
        var delivered = new List<long>();
        await foreach (var change in client.Live.ReadAllAsync())
        {
            delivered.Add(change.Revision);
        }

        Assert.Equal(5, delivered.Count);
        Assert.True(client.Live.Completion.IsCompleted);
        var followed = 0;
        while (controller.Live.TryRead(out _))
        {
            followed++;
        }

        Assert.Equal(8, followed);
        Assert.False(controller.Live.Completion.IsCompleted);
    }

    [Fact]
    public async Task Following_from_a_revision_replays_the_log_then_goes_live_without_gaps()
    {
        await using var store = Open(inMemory: true);
        var from = store.Current.Revision;
        await PutAsync(store, "one", "1");

        using var feed = await store.FollowAsync(from, CancellationToken.None);
        await PutAsync(store, "two", "2");

        Assert.Equal(["one"], feed!.Backlog.Select(c => c.Key[Prefix.Length..]));
        var live = await feed.Live.ReadAsync();
        Assert.Equal("two", live.Key[Prefix.Length..]);
        Assert.Equal(feed.Backlog[0].Revision + 1, live.Revision);
    }

    [Fact]
    public async Task A_write_past_the_quota_fails_alone_publishes_nothing_and_the_store_goes_on()
    {
        await using var store = Open(quotaMegabytes: 1);
        using var feed = await store.FollowFromNowAsync(CancellationToken.None);
        var big = new string('x', 100_000);
        StoreCommitException? full = null;
        var stored = 0;
        while (full is null && stored < 50)
        {
            try
            {
                await PutAsync(store, $"big-{stored}", big);
                stored++;
            }
            catch (StoreCommitException error)
            {
                full = error;
            }
        }

        Assert.NotNull(full);
        Assert.Equal("etcdserver: mvcc: database space exceeded", full.Message);
        var revision = store.Current.Revision;
        Assert.Null(store.Current.Get(Prefix, Prefix + $"big-{stored}"));
        var published = 0;
        while (feed.Live.TryRead(out var change))
        {
            Assert.NotEqual(Prefix + $"big-{stored}", change.Key);
            published++;
        }

        Assert.Equal(stored, published);

        // Reads go on, a small write may still fit, and deleting makes room again.
        Assert.Equal(stored, store.Current.Range(Prefix, Prefix, "").Count);
        for (var i = 0; i < stored; i++)
        {
            await store.MutateAsync(Prefix + $"big-{i}", (_, _) => new Mutation.Delete(Body("{}")), dryRun: false, CancellationToken.None);
        }

        await store.CompactAsync(store.Current.Revision, CancellationToken.None);
        var after = await PutAsync(store, "big-again", big);
        Assert.True(after!.Revision > revision);
    }
}
