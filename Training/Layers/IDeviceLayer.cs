namespace ILGPUInt8.Training.Layers;

/// <summary>A layer whose GEMMs run on a <see cref="TrainingDevice"/> (set by <see cref="TrainableNetwork.Device"/>).</summary>
internal interface IDeviceLayer
{
    /// <summary>Where the layer's GEMMs run (<see cref="TrainingDevice.Host"/> unless set).</summary>
    TrainingDevice Device { get; set; }
}
