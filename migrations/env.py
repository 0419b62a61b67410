import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# SpatiaLite 5 keeps its own bookkeeping tables; they are not ours to migrate.
SPATIALITE_TABLES = {
    "data_licenses", "KNN", "KNN2", "ElementaryGeometries", "SpatialIndex",
    "spatial_ref_sys", "spatial_ref_sys_aux", "spatialite_history", "sql_statements_log",
    "geometry_columns", "geometry_columns_auth", "geometry_columns_field_infos",
    "geometry_columns_statistics", "geometry_columns_time", "views_geometry_columns",
    "views_geometry_columns_auth", "views_geometry_columns_field_infos",
    "views_geometry_columns_statistics", "virts_geometry_columns",
    "virts_geometry_columns_auth", "virts_geometry_columns_field_infos",
    "virts_geometry_columns_statistics", "SE_external_graphics", "SE_fonts",
    "SE_raster_styled_layers", "SE_vector_styled_layers", "rl2map_configurations",
    "topologies", "networks", "raster_coverages", "vector_coverages", "wms_getcapabilities",
    "stored_procedures", "stored_variables", "iso_metadata",
}


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and (
        name in SPATIALITE_TABLES or name.startswith("idx_") or name.startswith("sqlite_")
        or name.startswith("vector_") or name.startswith("ISO_") or name.startswith("SE_")
    ):
        return False
    if type_ == "index" and name and name.startswith("idx_"):
        return False  # spatial indexes: made by geo.create_spatial_index in migrations
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def get_metadata():
    return current_app.extensions["migrate"].db.metadata


def run_migrations_online():
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline():
    context.configure(
        url=str(current_app.extensions["migrate"].db.engine.url),
        target_metadata=get_metadata(),
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
