package io.ctxbench.cli;

import io.ctxbench.report.LengthResults;
import io.ctxbench.report.Report;
import io.ctxbench.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Aggregate an eval run folder (all shards: results*.jsonl, fidelity*.jsonl) into the study's "
                + "tables (per task: Score, EM and Contains where answers are exact, F1, Prec, Recall or ROUGE-L, Hall., "
                + "Tok/s, Mem, No. Tok, ...), every figure with n and its 95%% bootstrap confidence interval, and the "
                + "differences from the baseline paired by sample (marked * where the interval excludes no difference), "
                + "as markdown, CSV and JSON, radar and gain charts as PNG and SVG, and one self-contained HTML page. "
                + "When the samples are too few to separate the methods, the report says so.",
                "", "Example:  ctxbench report results/eval-20250101-120000", ""})
final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The folder an eval run wrote (with --out).")
    Path runDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the report (default: RUN_DIR/report).")
    Path out;

    @Option(names = "--baseline", paramLabel = "METHOD", description = "Method the gains are relative to (default: the run's baseline).")
    String baseline;

    @Option(names = "--title", description = "Report title.")
    String title;

    @Option(names = "-o", hidden = true)   // the old spelling of --out, for one release (OldSpelling)
    Path oldOut;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        out = OldSpelling.take(spec, "--out", out, "-o", oldOut);
        System.setProperty("java.awt.headless", "true");
        Report r = Report.load(runDir, baseline);
        Path dir = out != null ? out : runDir.resolve("report");
        List<Path> files = ReportWriter.write(r, dir, title != null ? title : "ctxbench report: " + runDir.getFileName());
        System.err.println("report: " + r.records() + " sample record(s), " + r.rows().size() + " table row(s), "
                + r.lengths().costs().stream().mapToInt(LengthResults.LengthCost::n).sum() + " length-controlled (RULER, needle)");
        for (String n : r.notes()) {
            System.err.println("report: note: " + n);
        }
        System.out.println(dir.resolve("report.html"));
        if (files.isEmpty()) {
            return 1;
        }
        return 0;
    }
}
