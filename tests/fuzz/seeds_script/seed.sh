fastboot $* getvar product 2>&1 | grep -E "^product: *piano$|^product: *x"
if [ $? -ne 0 ] ; then echo "Missmatching"; exit 1; fi
if [ -e $(dirname $0)/images/anti_version.txt ]; then
CURRENT_ANTI_VER=`cat $(dirname $0)/images/anti_version.txt`
fi
ver=`fastboot $* getvar anti 2>&1 | grep -oP "anti: \K[0-9]+"`
if [ $ver -gt $CURRENT_ANTI_VER ]; then echo x; exit 1; fi
fastboot $* getvar crc 2>&1 | grep "^crc: 1"
if [ $? -eq 0 ]; then
fastboot $* flash crclist `dirname $0`/images/crclist.txt
else
echo no
fi
fastboot $* erase boot || exit 1
sleep 2
fastboot $* reboot
