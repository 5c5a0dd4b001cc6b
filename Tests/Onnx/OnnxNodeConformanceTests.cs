using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// ONNX node conformance (Debian libonnx-testdata, ONNX 1.12): every node test listed here imports and runs
/// through the scalar reference interpreter within |y − e| ≤ 1e-5 + 1e-3·|e| (FP32). Node tests of the mapped
/// operators that are not listed are refused by the importer with an <c>OnnxImportException</c>;
/// Tests/Onnx/CONFORMANCE.md says which and why. None listed here is skipped where the data is installed
/// (.ci/run installs it); without the folder they skip with a message.
/// </summary>
public class OnnxNodeConformanceTests
{
    /// <summary>The node tests the importer claims (129).</summary>
    public static readonly string[] Claimed =
    [
        "test_add",
        "test_add_bcast",
        "test_averagepool_1d_default",
        "test_averagepool_2d_ceil",
        "test_averagepool_2d_default",
        "test_averagepool_2d_pads",
        "test_averagepool_2d_pads_count_include_pad",
        "test_averagepool_2d_precomputed_pads",
        "test_averagepool_2d_precomputed_pads_count_include_pad",
        "test_averagepool_2d_precomputed_same_upper",
        "test_averagepool_2d_precomputed_strides",
        "test_averagepool_2d_same_lower",
        "test_averagepool_2d_same_upper",
        "test_averagepool_2d_strides",
        "test_averagepool_3d_default",
        "test_basic_conv_with_padding",
        "test_basic_conv_without_padding",
        "test_batchnorm_epsilon",
        "test_batchnorm_example",
        "test_clip",
        "test_clip_default_inbounds",
        "test_clip_default_max",
        "test_clip_default_min",
        "test_clip_example",
        "test_clip_inbounds",
        "test_clip_outbounds",
        "test_clip_splitbounds",
        "test_concat_2d_axis_1",
        "test_concat_2d_axis_negative_1",
        "test_concat_3d_axis_1",
        "test_concat_3d_axis_2",
        "test_concat_3d_axis_negative_1",
        "test_concat_3d_axis_negative_2",
        "test_constant_pad",
        "test_conv_with_autopad_same",
        "test_conv_with_strides_and_asymmetric_padding",
        "test_conv_with_strides_no_padding",
        "test_conv_with_strides_padding",
        "test_convtranspose",
        "test_convtranspose_1d",
        "test_convtranspose_3d",
        "test_convtranspose_autopad_same",
        "test_convtranspose_dilations",
        "test_convtranspose_kernel_shape",
        "test_convtranspose_output_shape",
        "test_convtranspose_pad",
        "test_convtranspose_pads",
        "test_convtranspose_with_kernel",
        "test_dropout_default",
        "test_dropout_default_old",
        "test_dropout_default_ratio",
        "test_dropout_random_old",
        "test_flatten_axis1",
        "test_flatten_default_axis",
        "test_flatten_negative_axis3",
        "test_gemm_all_attributes",
        "test_gemm_alpha",
        "test_gemm_beta",
        "test_gemm_default_matrix_bias",
        "test_gemm_default_no_bias",
        "test_gemm_default_scalar_bias",
        "test_gemm_default_single_elem_vector_bias",
        "test_gemm_default_vector_bias",
        "test_gemm_default_zero_bias",
        "test_gemm_transposeA",
        "test_gemm_transposeB",
        "test_globalaveragepool",
        "test_globalaveragepool_precomputed",
        "test_globalmaxpool",
        "test_globalmaxpool_precomputed",
        "test_hardsigmoid",
        "test_hardsigmoid_default",
        "test_hardsigmoid_example",
        "test_identity",
        "test_leakyrelu",
        "test_leakyrelu_default",
        "test_leakyrelu_example",
        "test_lrn",
        "test_lrn_default",
        "test_matmul_2d",
        "test_matmul_3d",
        "test_matmul_4d",
        "test_max_example",
        "test_max_float32",
        "test_max_one_input",
        "test_max_two_inputs",
        "test_maxpool_1d_default",
        "test_maxpool_2d_ceil",
        "test_maxpool_2d_default",
        "test_maxpool_2d_dilations",
        "test_maxpool_2d_pads",
        "test_maxpool_2d_precomputed_pads",
        "test_maxpool_2d_precomputed_same_upper",
        "test_maxpool_2d_precomputed_strides",
        "test_maxpool_2d_same_lower",
        "test_maxpool_2d_same_upper",
        "test_maxpool_2d_strides",
        "test_maxpool_3d_default",
        "test_mul",
        "test_mul_bcast",
        "test_mul_example",
        "test_relu",
        "test_reshape_extended_dims",
        "test_reshape_negative_dim",
        "test_reshape_reduced_dims",
        "test_reshape_reordered_last_dims",
        "test_reshape_zero_and_negative_dim",
        "test_reshape_zero_dim",
        "test_sigmoid",
        "test_sigmoid_example",
        "test_softmax_axis_1",
        "test_softmax_axis_2",
        "test_softmax_default_axis",
        "test_softmax_example",
        "test_softmax_large_number",
        "test_softmax_negative_axis",
        "test_squeeze_negative_axes",
        "test_sum_example",
        "test_sum_one_input",
        "test_sum_two_inputs",
        "test_tanh",
        "test_tanh_example",
        "test_unsqueeze_axis_1",
        "test_unsqueeze_axis_2",
        "test_unsqueeze_axis_3",
        "test_unsqueeze_negative_axes",
        "test_unsqueeze_three_axes",
        "test_unsqueeze_two_axes",
        "test_unsqueeze_unsorted_axes",
    ];

    public static TheoryData<string> ClaimedTests() => [.. Claimed];

    [Theory]
    [MemberData(nameof(ClaimedTests))]
    public void NodeTest_MatchesTheExpectedOutputs(string name)
    {
        Assert.SkipUnless(Directory.Exists(OnnxFixtures.NodeTestsDir),
            $"{OnnxFixtures.NodeTestsDir} is absent: install Debian's libonnx-testdata (apt-get install -y libonnx-testdata).");
        string? failure = OnnxNodeTestRunner.Run(Path.Combine(OnnxFixtures.NodeTestsDir, name), unitBatch: true);
        Assert.True(failure is null, $"{name}: {failure}");
    }

    public static TheoryData<string> EngineTests() => [.. Claimed];

    /// <summary>Every claimed node test through the FP32 engine (ILGPU CPU accelerator), within the same tolerance.</summary>
    [Theory]
    [MemberData(nameof(EngineTests))]
    public void NodeTest_ThroughTheFp32Engine(string name)
    {
        Assert.SkipUnless(Directory.Exists(OnnxFixtures.NodeTestsDir),
            $"{OnnxFixtures.NodeTestsDir} is absent: install Debian's libonnx-testdata (apt-get install -y libonnx-testdata).");
        string directory = Path.Combine(OnnxFixtures.NodeTestsDir, name);
        string? failure = OnnxNodeTestRunner.Run(directory, engine: true, unitBatch: true);
        Assert.True(failure is null, $"{name}: {failure}");
    }
}
