fastboot $* getvar product 2>&1 | grep -E "^product: *lancelot$"
if [ $? -ne 0 ] ; then echo "error : Missmatching image and device"; exit 1; fi

CURRENT_ANTI_VER=2
version=`fastboot getvar rollback_ver 2>&1 | grep "rollback_ver:" | awk -F ": " '{print $2}'`
if [  "${version}"x == ""x ] ; then version=0 ; fi
if [ ${version} -gt ${CURRENT_ANTI_VER} ] ; then  echo "error : current device antirollback #version is greater than this package" ; exit 1 ; fi

#fastboot $* erase boot
#if [ $? -ne 0 ] ; then echo "Erase boot error"; exit 1; fi
fastboot $* flash preloader `dirname $0`/images/preloader_lancelot.bin
if [ $? -ne 0 ] ; then echo "Flash preloader error"; exit 1; fi
#fastboot $* flash efuse `dirname $0`/images/efuse.img
#if [ $? -ne 0 ] ; then echo "Flash efuse error"; exit 1; fi
fastboot $* flash logo `dirname $0`/images/logo.bin
if [ $? -ne 0 ] ; then echo "Flash logo error"; exit 1; fi
fastboot $* flash tee1 `dirname $0`/images/tee.img
if [ $? -ne 0 ] ; then echo "Flash tee1 error"; exit 1; fi
fastboot $* flash tee2 `dirname $0`/images/tee.img
if [ $? -ne 0 ] ; then echo "Flash tee2 error"; exit 1; fi
fastboot $* flash scp1 `dirname $0`/images/scp.img
if [ $? -ne 0 ] ; then echo "Flash scp1 error"; exit 1; fi
fastboot $* flash scp2 `dirname $0`/images/scp.img
if [ $? -ne 0 ] ; then echo "Flash scp2 error"; exit 1; fi
fastboot $* flash sspm_1 `dirname $0`/images/sspm.img
if [ $? -ne 0 ] ; then echo "Flash sspm_1 error"; exit 1; fi
fastboot $* flash sspm_2 `dirname $0`/images/sspm.img
if [ $? -ne 0 ] ; then echo "Flash sspm_2 error"; exit 1; fi
fastboot $* flash lk `dirname $0`/images/lk.img
if [ $? -ne 0 ] ; then echo "Flash lk error"; exit 1; fi
fastboot $* flash lk2 `dirname $0`/images/lk.img
if [ $? -ne 0 ] ; then echo "Flash lk2 error"; exit 1; fi
fastboot $* flash super `dirname $0`/images/super.img
if [ $? -ne 0 ] ; then echo "Flash super error"; exit 1; fi
fastboot $* flash cache `dirname $0`/images/cache.img
if [ $? -ne 0 ] ; then echo "Flash cache error"; exit 1; fi
fastboot $* flash recovery `dirname $0`/images/recovery.img
if [ $? -ne 0 ] ; then echo "Flash recovery error"; exit 1; fi
fastboot $* flash boot `dirname $0`/images/boot.img
if [ $? -ne 0 ] ; then echo "Flash boot error"; exit 1; fi
fastboot $* flash dtbo `dirname $0`/images/dtbo.img
if [ $? -ne 0 ] ; then echo "Flash dtbo error"; exit 1; fi
fastboot $* flash vbmeta `dirname $0`/images/vbmeta.img
if [ $? -ne 0 ] ; then echo "Flash vbmeta error"; exit 1; fi
fastboot $* flash spmfw `dirname $0`/images/spmfw.img
if [ $? -ne 0 ] ; then echo "Flash spmfw error"; exit 1; fi
fastboot $* flash md1img `dirname $0`/images/md1img.img
if [ $? -ne 0 ] ; then echo "Flash md1img error"; exit 1; fi
fastboot $* flash vbmeta_system `dirname $0`/images/vbmeta_system.img
if [ $? -ne 0 ] ; then echo "Flash vbmeta_system error"; exit 1; fi
fastboot $* flash vbmeta_vendor `dirname $0`/images/vbmeta_vendor.img
if [ $? -ne 0 ] ; then echo "Flash vbmeta_vendor error"; exit 1; fi
fastboot $* flash cust `dirname $0`/images/cust.img
if [ $? -ne 0 ] ; then echo "Flash cust error"; exit 1; fi
fastboot $* flash exaid `dirname $0`/images/exaid.img
if [ $? -ne 0 ] ; then echo "Flash exaid error"; exit 1; fi
fastboot $* flash userdata `dirname $0`/images/userdata.img
if [ $? -ne 0 ] ; then echo "Flash userdata error"; exit 1; fi
fastboot $* reboot
if [ $? -ne 0 ] ; then echo "Reboot error"; exit 1; fi
