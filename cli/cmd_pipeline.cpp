// `chosei pipeline run FILE.json [--from STAGE] [--dry-run]`: the stages of a pipeline file
// (pipeline/pipeline_file.h), each skipped when unchanged since its last success.

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "pipeline/pipeline_runner.h"

namespace chosei::cli {

namespace {

struct PipelineArgs {
  std::string file, from, out;
  bool dry_run = false, quiet = false;
};

void run(const PipelineArgs& a) {
  const auto file = PipelineFile::load(a.file, a.out);
  PipelineRunOptions o;
  o.from = a.from;
  o.dry_run = a.dry_run;
  o.echo_logs = !a.quiet;
  o.progress = &std::cerr;
  std::error_code ec;
  o.program = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw std::runtime_error("cannot find this program (/proc/self/exe): " + ec.message());
  if (!a.from.empty()) file.index_of(a.from);
  const auto outcomes = run_pipeline(file, o);
  for (const auto& s : outcomes)
    std::cout << s.name << "\t" << s.action << "\t" << s.reason << "\n";
  if (!a.dry_run) std::cerr << "report: " << file.out << "/report.html\n";
}

}  // namespace

void add_pipeline_command(CLI::App& app) {
  auto* group =
      app.add_subcommand("pipeline", "Run a pipeline file: named stages of chosei commands");
  group->require_subcommand(1);
  auto a = std::make_shared<PipelineArgs>();
  auto* cmd = group->add_subcommand(
      "run", "Run the stages in order; a stage unchanged since its last success is skipped");
  cmd->add_option("file", a->file, "The pipeline file (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--from", a->from, "Run this stage and every later one even if unchanged");
  cmd->add_option("--out", a->out, "Output directory instead of the file's \"out\"");
  cmd->add_flag("--dry-run", a->dry_run, "Say which stages would run and why; run nothing");
  cmd->add_flag("--quiet", a->quiet,
                "Do not copy the stages' output here (it stays in their log.txt)");
  cmd->callback([a] { run(*a); });
}

}  // namespace chosei::cli
