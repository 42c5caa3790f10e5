using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace SkFallback.Configuration;

/// <summary>
/// Checks a configuration section against the shape of the options it binds to, before binding: every value must
/// convert to its property's type, and every key must name a property. The configuration binder drops a whole list
/// entry (a provider) whose value does not convert, and ignores keys it does not know; this names both.
/// </summary>
internal static class ConfigurationShape
{
    private const int MaxDepth = 12;

    /// <summary>Checks <paramref name="section"/> against <paramref name="type"/>; top-level keys in <paramref name="siblings"/> belong to others.</summary>
    public static (List<string> Invalid, List<string> Unknown) Check(IConfiguration section, Type type, IReadOnlyCollection<string> siblings)
    {
        var invalid = new List<string>();
        var unknown = new List<string>();
        Walk(section, type, invalid, unknown, siblings, depth: 0);
        return (invalid, unknown);
    }

    private static void Walk(IConfiguration section, Type type, List<string> invalid, List<string> unknown, IReadOnlyCollection<string>? siblings, int depth)
    {
        var properties = Bindable(type);
        foreach (var child in section.GetChildren())
        {
            if (siblings is not null && siblings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var property = Array.Find(properties, p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var near = Nearest(child.Key, properties);
                unknown.Add(near is null
                    ? $"{child.Path} is not a setting of {type.Name}."
                    : $"{child.Path} is not a setting of {type.Name} (did you mean {near}?).");
                continue;
            }

            CheckValue(child, property.PropertyType, invalid, unknown, depth + 1);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> invalid, List<string> unknown, int depth)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (depth > MaxDepth)
        {
            return;
        }

        if (IsLeaf(target))
        {
            if (section.Value is { Length: > 0 } value && !Converts(value, target))
            {
                invalid.Add($"{section.Path} '{value}' does not convert to {Describe(target)}.");
            }

            return;
        }

        if (ElementOf(target) is { } element)
        {
            foreach (var item in section.GetChildren())
            {
                CheckValue(item, element, invalid, unknown, depth + 1);
            }

            return;
        }

        // Only the library's own option types are walked; anything else (a client object) is not configuration.
        if (target.Assembly == typeof(ConfigurationShape).Assembly && target.IsClass && !target.IsAbstract)
        {
            Walk(section, target, invalid, unknown, siblings: null, depth);
        }
    }

    private static PropertyInfo[] Bindable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0).ToArray();

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);

    /// <summary>The element type of a list, array or string-keyed dictionary (its values), or null.</summary>
    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type) || type == typeof(string))
        {
            return null;
        }

        foreach (var face in type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces())
        {
            if (face.IsGenericType && face.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            {
                return face.GetGenericArguments()[1];
            }
        }

        foreach (var face in type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces())
        {
            if (face.IsGenericType && face.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return face.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static bool Converts(string value, Type type)
    {
        try
        {
            // The converters the configuration binder itself uses.
            _ = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type.IsEnum => $"{type.Name} (one of {string.Join(", ", Enum.GetNames(type))})",
        _ when type == typeof(TimeSpan) => "a TimeSpan (for example 00:00:30 for 30 seconds)",
        _ when type == typeof(bool) => "a Boolean (true or false)",
        _ when type == typeof(int) || type == typeof(long) => $"an integer ({type.Name})",
        _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => $"a number ({type.Name}, invariant culture: 0.5)",
        _ => type.Name,
    };

    /// <summary>The property name nearest to a misspelt key, when near enough to be a typo.</summary>
    private static string? Nearest(string key, PropertyInfo[] properties)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var property in properties)
        {
            var distance = Distance(key.ToUpperInvariant(), property.Name.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (property.Name, distance);
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 4) ? best : null;
    }

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
