with

files as (

    select
        source_file_id,
        run_id,
        shop_id,
        file_name,
        profile,
        entity,
        status,
        rows_read,
        rows_loaded,
        rows_rejected,
        loaded_at,
        coverage_start,
        coverage_end
    from stg_source_files

),

final as (

    select
        source_file_id,
        run_id,
        shop_id,
        file_name,
        profile,
        entity,
        status,
        rows_read,
        rows_loaded,
        rows_rejected,
        loaded_at,
        coverage_start,
        coverage_end
    from files

)

select * from final
