using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SkFallback.Redis.Tests;

/// <summary>
/// A loopback TCP proxy in front of Redis that a test can cut (every connection dropped, new ones refused at once) and
/// restore, so one replica loses Redis while the others keep it.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly ConcurrentDictionary<TcpClient, byte> _clients = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public TcpProxy(string upstream)
    {
        int colon = upstream.LastIndexOf(':');
        _upstreamHost = upstream[..colon];
        _upstreamPort = int.Parse(upstream[(colon + 1)..]);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Cut()
    {
        _cut = true;
        foreach (var client in _clients.Keys)
        {
            client.Dispose();
        }
    }

    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient downstream;
            try
            {
                downstream = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            if (_cut)
            {
                downstream.Dispose();
                continue;
            }

            _ = RelayAsync(downstream);
        }
    }

    private async Task RelayAsync(TcpClient downstream)
    {
        var upstream = new TcpClient();
        _clients[downstream] = 0;
        _clients[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
            var a = downstream.GetStream().CopyToAsync(upstream.GetStream(), _stop.Token);
            var b = upstream.GetStream().CopyToAsync(downstream.GetStream(), _stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // A cut or a closed side ends the relay.
        }
        finally
        {
            downstream.Dispose();
            upstream.Dispose();
            _clients.TryRemove(downstream, out _);
            _clients.TryRemove(upstream, out _);
        }
    }
}
