# Install layout and the Debian package (docs/operations.md, "Deployment").
#   cmake --install build [--prefix /usr]   binaries, example config, systemd unit, docs
#   (cd build && cpack -G DEB)              hunter_VERSION_ARCH.deb, its dependencies computed
#                                           by dpkg-shlibdeps from what the binaries link
include(GNUInstallDirs)

install(TARGETS hunter hunter-devnet RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The example configuration and the systemd unit depend on the prefix given at install time
# (cmake --install --prefix, or cpack's /usr): with /usr the configuration goes to /etc/hunter,
# otherwise to <prefix>/etc/hunter; the unit goes to <prefix>/lib/systemd/system (systemd reads
# /usr/lib and /usr/local/lib) and names the binary by its installed path.
set(HUNTER_SOURCE_FOR_INSTALL ${PROJECT_SOURCE_DIR})
set(HUNTER_BINARY_FOR_INSTALL ${PROJECT_BINARY_DIR})
install(CODE "set(HUNTER_SRC \"${HUNTER_SOURCE_FOR_INSTALL}\")
set(HUNTER_BIN \"${HUNTER_BINARY_FOR_INSTALL}\")
set(HUNTER_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(hunter_etc "/etc/hunter")
  else()
    set(hunter_etc "${CMAKE_INSTALL_PREFIX}/etc/hunter")
  endif()
  file(INSTALL "${HUNTER_SRC}/config/hunter.example.toml" DESTINATION "${hunter_etc}")
  file(READ "${HUNTER_SRC}/config/hunter.service" unit)
  string(REPLACE "/usr/local/bin/hunter" "${CMAKE_INSTALL_PREFIX}/${HUNTER_BINDIR}/hunter" unit
    "${unit}")
  file(MAKE_DIRECTORY "${HUNTER_BIN}/unit")
  file(WRITE "${HUNTER_BIN}/unit/hunter.service" "${unit}")
  file(INSTALL "${HUNTER_BIN}/unit/hunter.service"
    DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
]])

install(FILES README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY config/k8s config/prometheus config/grafana
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_PACKAGE_NAME hunter)
set(CPACK_PACKAGE_VENDOR "hunter")
set(CPACK_PACKAGE_CONTACT "hunter maintainers <hunter@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "relayer for multi-signed cluster egress queues on a Substrate chain")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the linked libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")  # postinst creates the system user
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)  # the binaries without their debug info
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
