with

files as (

    select
        source_file_id,
        run_id,
        shop_id,
        profile,
        entity,
        file_name,
        status,
        coverage_start,
        coverage_end,
        rows_read,
        rows_loaded,
        rows_rejected,
        summary_rows,
        loaded_at
    from source_files

),

final as (

    select
        source_file_id,
        run_id,
        shop_id,
        profile,
        entity,
        file_name,
        status,
        coverage_start,
        coalesce(coverage_end, loaded_at::date) as coverage_end,
        rows_read,
        rows_loaded,
        rows_rejected,
        summary_rows,
        loaded_at,
        status = 'loaded' as is_loaded
    from files

)

select * from final
