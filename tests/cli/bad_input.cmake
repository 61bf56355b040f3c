# The command line on bad input (the README's "Bad input" table): each case
# exits with a non-zero status and a message that names the path and the
# problem; unknown characters in ground truth are a warning. Run by ctest:
# cmake -DNNOCR=... -DSAMPLES=... -DWORK=... [-DEMULATOR=...] -P bad_input.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/folder.png ${WORK}/gt)
file(WRITE ${WORK}/empty.png "")
file(WRITE ${WORK}/empty.safetensors "")
configure_file(${SAMPLES}/line_0.png ${WORK}/gt/l0.png COPYONLY)
file(WRITE ${WORK}/gt/l0.gt.txt "6.972,29 漢 EUR\n")  # U+6F22, not in the bundled charset
set(line ${SAMPLES}/line_0.png)

# expect(NAME STATUS REGEX command...): STATUS "nonzero" or a number; REGEX
# must match stderr.
function(expect name status regex)
  execute_process(COMMAND ${EMULATOR} ${NNOCR} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(status STREQUAL "nonzero")
    if(rc EQUAL 0)
      message(FATAL_ERROR "${name}: exit status 0, expected a failure\nstderr: ${err}")
    endif()
  elseif(NOT rc EQUAL status)
    message(FATAL_ERROR "${name}: exit status ${rc}, expected ${status}\nstderr: ${err}")
  endif()
  if(NOT err MATCHES "${regex}")
    message(FATAL_ERROR "${name}: stderr does not match '${regex}':\n${err}")
  endif()
  message(STATUS "${name}: ok (${rc}): ${err}")
endfunction()

expect("image is a folder" 1 "folder.png: is a directory, not a file" read --threads 1 --line ${WORK}/folder.png)
expect("image missing" 1 "none.png: no such file" read --threads 1 ${WORK}/none.png)
expect("zero-byte image" 1 "nnocr read: [^:\n]*empty.png: empty file" read --threads 1 --line ${WORK}/empty.png)
expect("model is a folder" nonzero "gt: is a directory" read --threads 1 --model ${WORK}/gt ${line})
expect("model missing" nonzero "none.safetensors: no such file" read --model ${WORK}/none.safetensors ${line})
expect("empty model file" nonzero "empty.safetensors: 0 bytes is too short" read --model ${WORK}/empty.safetensors ${line})
expect("list is a folder" nonzero "gt: is a directory" read --list ${WORK}/gt)
expect("output is a folder" nonzero "gt: write failed" read --threads 1 -o ${WORK}/gt ${line})
expect("eval of a file" nonzero "empty.png: is a file, not a folder" eval ${WORK}/empty.png)
expect("eval of nothing" nonzero "none: no such folder" eval ${WORK}/none)
expect("beam too wide" nonzero "--beam-width: expected an integer in \\[1, 1000\\]" read --beam-width 5000 ${line})
expect("unknown characters" 0 "warning: the model's charset lacks 1 unknown character[^\n]*U\\+6F22" eval --threads 1 ${WORK}/gt)
