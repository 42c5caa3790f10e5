using System.Net;
using System.Net.Sockets;

namespace SkFallback.Qdrant.Tests;

internal static class ClosedPort
{
    /// <summary>A loopback port that was free a moment ago and has nothing listening: connections to it are refused at once.</summary>
    public static string Endpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
