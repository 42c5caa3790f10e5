using System.Buffers.Binary;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SkFallback.Cost;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace SkFallback.Tests.Cost;

/// <summary>Images are counted by OpenAI's documented vision rule (85 at low detail; 85 + 170 per 512-pixel tile at high detail).</summary>
public class EstimatorImageTests
{
    private const string Model = "gpt-4o-2024-08-06";

    [Theory]
    [InlineData(1024, 1024, 765)] // the documentation's first example
    [InlineData(2048, 4096, 1105)] // the second: fit to 1024 × 2048, then 768 × 1536, 6 tiles
    public void HighDetailImageTokens_DocumentedExamples_MatchPublishedCost(int width, int height, int published) =>
        Assert.Equal(published, ImageTokenCost.HighDetail(width, height));

    [Fact]
    public void EstimatePromptTokens_LowDetailLargeImage_CostsBase()
    {
        // The documentation's third example: a 4096 × 8192 image at detail low costs 85 whatever its size.
        var image = new DataContent(Png(4096, 8192), "image/png") { AdditionalProperties = new() { ["detail"] = "low" } };

        Assert.Equal(85, ImageTokens(image));
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(512, 512)]
    [InlineData(513, 513)]
    [InlineData(768, 1024)]
    [InlineData(1080, 1920)]
    [InlineData(1920, 1080)]
    [InlineData(3000, 200)]
    [InlineData(4032, 3024)]
    [InlineData(10000, 10000)]
    public void EstimatePromptTokens_PngOfKnownSize_MatchesDocumentedRule(int width, int height)
    {
        var image = new DataContent(Png(width, height), "image/png");

        Assert.Equal(Reference(width, height), ImageTokens(image));
    }

    [Theory]
    [InlineData("gif")]
    [InlineData("jpeg")]
    [InlineData("webp-vp8")]
    [InlineData("webp-vp8l")]
    [InlineData("webp-vp8x")]
    public void EstimatePromptTokens_OtherFormats_ReadSizeFromHeader(string format)
    {
        const int width = 1600, height = 900;
        var (bytes, mediaType) = format switch
        {
            "gif" => (Gif(width, height), "image/gif"),
            "jpeg" => (Jpeg(width, height), "image/jpeg"),
            "webp-vp8" => (WebP("VP8 ", width, height), "image/webp"),
            "webp-vp8l" => (WebP("VP8L", width, height), "image/webp"),
            _ => (WebP("VP8X", width, height), "image/webp"),
        };

        Assert.True(ImageHeader.TryReadSize(bytes, out var w, out var h));
        Assert.Equal((width, height), (w, h));
        Assert.Equal(Reference(width, height), ImageTokens(new DataContent(bytes, mediaType)));
        Assert.NotEqual(TokenEstimator.TokensPerImage, Reference(width, height));
    }

    [Theory]
    [InlineData("high")]
    [InlineData("auto")]
    [InlineData("HIGH")]
    public void EstimatePromptTokens_HighOrAutoDetail_CountsTiles(string detail)
    {
        var image = new DataContent(Png(2048, 4096), "image/png") { AdditionalProperties = new() { ["detail"] = detail } };

        Assert.Equal(1105, ImageTokens(image));
    }

    [Fact]
    public void EstimatePromptTokens_OpenAIDetailLevelValue_IsRead()
    {
        // The OpenAI adapter also accepts the SDK's own ChatImageDetailLevel in AdditionalProperties["detail"].
        var image = new UriContent(new Uri("https://example.com/cat.png"), "image/png") { AdditionalProperties = new() { ["detail"] = ChatImageDetailLevel.Low } };

        Assert.Equal(85, ImageTokens(image));
    }

    [Fact]
    public void EstimatePromptTokens_SizeUnknown_CountsAs1024Square()
    {
        // A URL is not fetched and unknown bytes are not decoded: high detail then assumes 1024 × 1024 (765), documented.
        var uri = new UriContent(new Uri("https://example.com/cat.png"), "image/png");
        var unknown = new DataContent(new byte[] { 0x42, 0x4D, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28 }, "image/bmp");
        var truncatedPng = new DataContent(Png(4000, 4000).AsMemory(0, 20), "image/png");

        Assert.Equal(TokenEstimator.TokensPerImage, ImageTokens(uri));
        Assert.Equal(TokenEstimator.TokensPerImage, ImageTokens(unknown));
        Assert.Equal(TokenEstimator.TokensPerImage, ImageTokens(truncatedPng));
        Assert.Equal(765, TokenEstimator.TokensPerImage);
    }

    [Fact]
    public void ImageHeader_ZeroSize_IsUnknown() =>
        Assert.False(ImageHeader.TryReadSize(Png(0, 100), out _, out _));

    private static int ImageTokens(AIContent image)
    {
        var estimator = new TokenEstimator();
        var text = estimator.EstimatePromptTokens(Model, [new ChatMessage(ChatRole.User, "Describe this.")]);
        var withImage = estimator.EstimatePromptTokens(Model, [new ChatMessage(ChatRole.User, [new TextContent("Describe this."), image])]);
        return withImage - text;
    }

    // The documented rule, written here independently of the estimator, in integers.
    private static int Reference(int width, int height)
    {
        long w = width, h = height;
        if (Math.Max(w, h) > 2048)
        {
            (w, h) = w >= h ? (2048L, h * 2048 / w) : (w * 2048 / h, 2048L);
        }

        if (Math.Min(w, h) > 768)
        {
            (w, h) = w <= h ? (768L, h * 768 / w) : (w * 768 / h, 768L);
        }

        return (int)(85 + (170 * ((w + 511) / 512) * ((h + 511) / 512)));
    }

    private static byte[] Png(int width, int height)
    {
        var bytes = new byte[33];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        bytes[24] = 8; // bit depth; the rest of the header does not matter here
        bytes[25] = 6;
        return bytes;
    }

    private static byte[] Gif(int width, int height)
    {
        var bytes = new byte[13];
        "GIF89a"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)height);
        return bytes;
    }

    private static byte[] Jpeg(int width, int height)
    {
        // SOI, an APP0 (JFIF) segment, a DQT-sized filler segment, then SOF2 (progressive) carrying the size.
        var bytes = new List<byte> { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 };
        bytes.AddRange("JFIF\0"u8.ToArray());
        bytes.AddRange(new byte[] { 1, 1, 0, 0, 1, 0, 1, 0, 0 });
        bytes.AddRange(new byte[] { 0xFF, 0xDB, 0x00, 0x05, 0, 1, 2 });
        bytes.AddRange(new byte[] { 0xFF, 0xC2, 0x00, 0x11, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3 });
        bytes.AddRange(new byte[12]);
        return [.. bytes];
    }

    private static byte[] WebP(string chunk, int width, int height)
    {
        var bytes = new byte[40];
        "RIFF"u8.CopyTo(bytes);
        "WEBP"u8.CopyTo(bytes.AsSpan(8));
        System.Text.Encoding.ASCII.GetBytes(chunk).CopyTo(bytes, 12);
        switch (chunk)
        {
            case "VP8 ":
                bytes[23] = 0x9D;
                bytes[24] = 0x01;
                bytes[25] = 0x2A;
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(26), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), (ushort)height);
                break;
            case "VP8L":
                bytes[20] = 0x2F;
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(21), (uint)(width - 1) | ((uint)(height - 1) << 14));
                break;
            default:
                bytes[24] = (byte)(width - 1);
                bytes[25] = (byte)((width - 1) >> 8);
                bytes[26] = (byte)((width - 1) >> 16);
                bytes[27] = (byte)(height - 1);
                bytes[28] = (byte)((height - 1) >> 8);
                bytes[29] = (byte)((height - 1) >> 16);
                break;
        }

        return bytes;
    }
}
