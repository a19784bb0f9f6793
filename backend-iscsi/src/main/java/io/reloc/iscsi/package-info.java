/**
 * The iSCSI front end plugin: {@link io.reloc.iscsi.IscsiPlugin} contributes
 * {@link io.reloc.iscsi.IscsiFrontEndFactory} as {@code "iscsi"}; each export is the target
 * {@code <iqn-prefix>:<export name>} with LUN 0.
 */
package io.reloc.iscsi;
