// kvgate: one binary, one subcommand per operation (see commands.h).
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kvgate: S3-compatible object gateway for LLM KV-cache segments"};
  app.require_subcommand(1);
  kvgate::cli::add_serve_command(app);
  kvgate::cli::add_info_command(app);
  kvgate::cli::add_heal_command(app);
  kvgate::cli::add_scrub_command(app);
  kvgate::cli::add_verify_command(app);
  kvgate::cli::add_reindex_command(app);
  kvgate::cli::add_capacity_command(app);
  kvgate::cli::add_jobs_command(app);
  kvgate::cli::add_rebalance_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
