namespace ILGPUInt8.Layers.Network;

/// <summary>
/// A network that cannot be built: a bad layer parameter, a shape mismatch, a cycle, a dangling input or a precision that
/// cannot be honoured. <see cref="LayerName"/> names the layer at fault (null when the fault is the network's).
/// </summary>
public sealed class NetworkException : Exception
{
    /// <summary>Creates an exception about a layer.</summary>
    public NetworkException(string? layerName, string message)
        : base(layerName is null ? message : $"Layer '{layerName}': {message}")
    {
        LayerName = layerName;
    }

    /// <summary>Creates an exception with no layer.</summary>
    public NetworkException()
        : base("The network is invalid.")
    {
    }

    /// <summary>Creates an exception with no layer.</summary>
    public NetworkException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with no layer wrapping another.</summary>
    public NetworkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The layer at fault, or null.</summary>
    public string? LayerName { get; }
}
