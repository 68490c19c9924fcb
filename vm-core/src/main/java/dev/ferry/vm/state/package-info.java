/**
 * The machine's state records, which are the migration stream's wire contract: savevm's codec
 * encodes them component by component, so changing a record means bumping its section version.
 */
package dev.ferry.vm.state;
