# The production Temporal stack of docker-compose.yml: the versions scripts/setup.sh builds (step 3c) and
# scripts/build-runtime-image.sh puts into the runtime image, and where the tools dir keeps them.
temporal_server_version=v1.29.1   # go.temporal.io/server: the server the Temporal CLI v1.5.1 embeds
temporal_ui_version=v2.42.1       # github.com/temporalio/ui-server/v2: the UI the CLI v1.5.1 pins
# temporal_stack_paths <tools dir>: the binaries and the schema files (postgresql/v12/{temporal,visibility}/...)
temporal_stack_paths() {
  temporal_server_bin=$1/bin/temporal-server
  temporal_sql_tool_bin=$1/bin/temporal-sql-tool
  temporal_ui_server_bin=$1/bin/temporal-ui-server
  temporal_schema_dir=$1/temporal-schema/$temporal_server_version
}
