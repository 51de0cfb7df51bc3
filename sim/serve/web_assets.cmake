# The workbench page (sim/serve/web/) and Chart.js, embedded into commsim_serve as byte arrays at
# build time (embed_web_assets.cmake writes web_assets_data.cpp; regenerated whenever a file
# changes), so the page is part of the binary. Included by the top-level CMakeLists.txt after
# commsim_module(serve ...): a custom command's output must be added in the directory that
# defines the target.
# Chart.js from Debian's libjs-chart.js (scripts/install-deps.sh), served by the workbench itself.
set(COMMSIM_CHARTJS "/usr/share/javascript/chart.js/chart.min.js" CACHE FILEPATH
    "Chart.js (UMD build) embedded into the workbench page")
if(NOT EXISTS "${COMMSIM_CHARTJS}")
  message(FATAL_ERROR "Chart.js not found at ${COMMSIM_CHARTJS}: install Debian's libjs-chart.js "
                      "(scripts/install-deps.sh) or set COMMSIM_CHARTJS to chart.min.js")
endif()

set(web ${CMAKE_CURRENT_LIST_DIR}/web)
set(assets "/|html|${web}/index.html^/app.js|js|${web}/app.js^/plan.js|js|${web}/plan.js^/app.css|css|${web}/app.css^/vendor/chart.min.js|js|${COMMSIM_CHARTJS}")
set(asset_files ${web}/index.html ${web}/app.js ${web}/plan.js ${web}/app.css ${COMMSIM_CHARTJS})
set(generated ${CMAKE_CURRENT_BINARY_DIR}/generated-serve/web_assets_data.cpp)
add_custom_command(OUTPUT ${generated}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${generated} "-DASSETS=${assets}"
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_web_assets.cmake
  DEPENDS ${asset_files} ${CMAKE_CURRENT_LIST_DIR}/embed_web_assets.cmake
  COMMENT "Embedding the workbench page" VERBATIM)
target_sources(commsim_serve PRIVATE ${generated})
