#!/usr/bin/env python3
"""The model zoo on the GPU machine (issue 24): exports torchvision's families (Models/zoo/export_zoo.py's list, seeded
weights, random BatchNorm statistics) to ONNX at a real input size for `Perf engine --zoo DIR`, and times the same
PyTorch models in the same device call as its peers:
  - "torch eager fp32" (TF32 off), "torch eager fp16" (channels_last), cudnn.benchmark on;
  - with --compile, "torch.compile fp16 reduce-overhead" (inductor + CUDA graphs, static shapes) of the FP16
    channels_last model at the largest batch only (10-60 s of compile a model on an H200: plan the call for it).
Writes DIR/<name>_op17.onnx, DIR/MANIFEST.txt (export_zoo.py's format: name opset N,C,H,W file) and JSON rows
{peer, case: "zoo_<name> b<batch>", ms, tops (= images/s)}:
    python3 Perf/peers/zoo_peers.py OUT.json DIR [--append] [--size 224] [--batches 1,64] [--only a,b] [--compile]
The GPU machine may lack torchvision; ZOO_TORCHVISION=DIR names a copy of its pure-Python package (Perf/zoo-pack.sh
makes one from this machine's python3-torchvision): only torchvision.models is used, and without Pillow the image
helpers torchvision imports at load time get a stand-in module (no model touches them).
"""
import argparse
import inspect
import os
import sys
import tempfile
import time
import types


def import_torchvision_models():
    """torchvision.models, from the installed package or from the copy in ZOO_TORCHVISION."""
    try:
        import torchvision.models as tvm
        return tvm, "installed"
    except ImportError as error:
        copy = os.environ.get("ZOO_TORCHVISION")
        if not copy or not os.path.isdir(copy):
            raise SystemExit(f"torchvision is not installed ({error}) and ZOO_TORCHVISION names no copy of it")
    try:
        import PIL  # noqa: F401
    except ImportError:
        # torchvision's image helpers read names from Pillow at load time (Image.Resampling.BICUBIC, ...); the models
        # never call them: every name of the stand-in is one object that answers any attribute or call with itself.
        class Anything:
            def __getattr__(self, name):
                return self

            def __call__(self, *args, **kwargs):
                return self

        anything = Anything()
        pil = types.ModuleType("PIL")
        pil.__version__ = "0 (stand-in)"
        for sub in ("Image", "ImageColor", "ImageDraw", "ImageFont", "ImageEnhance", "ImageOps"):
            module = types.ModuleType(f"PIL.{sub}")
            module.__getattr__ = lambda name: anything
            setattr(pil, sub, module)
            sys.modules[f"PIL.{sub}"] = module
        sys.modules["PIL"] = pil
    # A bare package over the copy: torchvision/__init__ would import datasets, io and transforms too.
    package = types.ModuleType("torchvision")
    package.__path__ = [copy]
    package.__version__ = "copy"
    sys.modules["torchvision"] = package
    import torchvision.models as tvm
    return tvm, f"copy in {copy}"


def export(model, name, size, out_dir, torch):
    """ONNX opset 17 with a dynamic batch, written next to the target and renamed (readers never see half a file)."""
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(7))
    path = os.path.join(out_dir, f"{name}_op17.onnx")
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out_dir)
    os.close(fd)
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter, as export_zoo.py uses on torch 1.13
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=17, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, do_constant_folding=True, **kwargs)
    os.replace(tmp, path)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("dir")
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--only", default="")
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()

    import torch
    tvm, where = import_torchvision_models()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Models", "zoo"))
    import export_zoo  # its MODELS table and BatchNorm randomizer (imports torchvision.models, now resolvable)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from engine_peers import time_ms, write_rows

    print(f"torch {torch.__version__}, torchvision {where}, {torch.cuda.get_device_name()}", flush=True)
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.dir, exist_ok=True)
    batches = [int(b) for b in args.batches.split(",")]
    names = [n for n in args.only.split(",") if n] or list(export_zoo.MODELS)
    rows, manifest = [], []
    for name in names:
        ctor, _ = export_zoo.MODELS[name]
        # vgg11_small folds the classifier for a 32x32 input only; at a real size torchvision's vgg11 is exported as is.
        make = (lambda: tvm.vgg11(weights=None)) if name == "vgg11" else ctor
        torch.manual_seed(24)
        model = make().eval()
        with torch.no_grad():
            export_zoo.randomize_batchnorm(model, torch.Generator().manual_seed(24))
        start = time.time()
        path = export(model, name, args.size, args.dir, torch)
        manifest.append(f"{name} 17 1,3,{args.size},{args.size} {os.path.basename(path)}")
        print(f"{name}: exported in {time.time() - start:.1f} s", flush=True)
        for label, dtype in (("torch eager fp32", torch.float32), ("torch eager fp16", torch.float16)):
            m = model.to("cuda").to(dtype).to(memory_format=torch.channels_last)
            for batch in batches:
                x = torch.randn(batch, 3, args.size, args.size, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
                with torch.inference_mode():
                    ms = time_ms(lambda: m(x))
                rows.append({"peer": label, "case": f"zoo_{name} b{batch}", "ms": ms, "tops": batch / ms * 1000})
        if args.compile:
            m = model.to("cuda").to(torch.float16).to(memory_format=torch.channels_last)
            torch._dynamo.reset()
            compiled = torch.compile(m, mode="reduce-overhead", dynamic=False)
            for batch in batches[-1:]:
                x = torch.randn(batch, 3, args.size, args.size, device="cuda", dtype=torch.float16).to(memory_format=torch.channels_last)
                start = time.time()
                with torch.inference_mode():
                    compiled(x)
                    torch.cuda.synchronize()
                    compile_s = time.time() - start
                    ms = time_ms(lambda: compiled(x), warmup=5, repeats=20)
                rows.append({"peer": "torch.compile fp16 reduce-overhead", "case": f"zoo_{name} b{batch}", "ms": ms,
                             "tops": batch / ms * 1000, "compile_s": compile_s})
                print(f"{name} b{batch}: compiled in {compile_s:.0f} s, {batch / ms * 1000:.0f} img/s", flush=True)
        del model
        torch.cuda.empty_cache()
    fd, tmp = tempfile.mkstemp(dir=args.dir)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(manifest) + "\n")
    os.replace(tmp, os.path.join(args.dir, "MANIFEST.txt"))
    write_rows(args.out, rows, args.append)


if __name__ == "__main__":
    main()
