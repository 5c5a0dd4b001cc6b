using ILGPUInt8.Tests.Writer;

// ilgpu-int8-writer FOLDER: writes version 0 of every file, prints "ready", then alternates versions 1, 0, 1, …
// until it is killed (the kill test's child process).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: ilgpu-int8-writer FOLDER");
    return 2;
}

KillTestFiles.Write(args[0], 0);
Console.Out.WriteLine("ready");
Console.Out.Flush();
for (var i = 1; ; i++)
{
    KillTestFiles.Write(args[0], i % 2);
}
